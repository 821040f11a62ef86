/* presence.h — which operators are online, away or offline, per organization.
 *
 * Fed by the hub (connections, SetPresence) on the network thread and read by
 * routing inside store write jobs on the writer thread, hence the mutex. An
 * operator is online when it has at least one live hub connection and has not
 * said "away"; its last connection closing makes it offline (offline_since is
 * kept so the grace period can be measured). Connecting again after "away"
 * keeps "away" only while some connection is still open.
 * Threading: every function is safe from any thread.
 */
#ifndef CH_CHAT_PRESENCE_H
#define CH_CHAT_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

typedef enum ch_presence_state {
	CH_PRESENCE_OFFLINE = 0,
	CH_PRESENCE_ONLINE = 1,
	CH_PRESENCE_AWAY = 2,
} ch_presence_state;

typedef struct ch_presence_entry {
	int64_t operator_id;
	int64_t org_id;
	ch_presence_state state;
	int connections;
	int64_t idle_since_ms;    /* last assignment / activity */
	int64_t offline_since_ms; /* 0 while connected */
} ch_presence_entry;

/* A hub connection of the operator opened. Returns the state after it. */
ch_presence_state ch_presence_connect(int64_t operator_id, int64_t org_id, int64_t now_ms);
/* One of its connections closed. Returns the state after it. */
ch_presence_state ch_presence_disconnect(int64_t operator_id, int64_t now_ms);
/* SetPresence("online" | "away"); ignored (returns OFFLINE) without a connection. */
ch_presence_state ch_presence_set(int64_t operator_id, ch_presence_state state, int64_t now_ms);
/* Records activity (an assignment, a message) for "longest idle". */
void ch_presence_touch(int64_t operator_id, int64_t now_ms);
/* Fills *out for the operator; returns 0, or -1 when unknown (never connected). */
int ch_presence_get(int64_t operator_id, ch_presence_entry *out);
/* Online (connected and not away) operators of the org, up to max, ascending by
 * operator id. Returns how many there are in total (may exceed max). */
size_t ch_presence_online(int64_t org_id, ch_presence_entry *out, size_t max);
/* Offline operators of any org whose offline_since_ms <= before_ms and that
 * were not reported yet by this function; each is reported once per offline
 * period. Returns how many were written (up to max). */
size_t ch_presence_expired(int64_t before_ms, ch_presence_entry *out, size_t max);
/* Forgets everyone (tests, shutdown). */
void ch_presence_reset(void);

#endif
