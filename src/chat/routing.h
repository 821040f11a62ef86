/* routing.h — which operator gets a chat (pure decision, no I/O).
 *
 * A chat goes to an Active, online operator below the organization's
 * maxChatsPerOperator, choosing the fewest open chats, then the longest idle
 * (smallest idle_since), then the lowest id so the choice is deterministic.
 * The caller supplies only Active + online candidates (store + presence).
 * Threading: pure; any thread.
 */
#ifndef CH_CHAT_ROUTING_H
#define CH_CHAT_ROUTING_H

#include <stddef.h>
#include <stdint.h>

typedef struct ch_route_candidate {
	int64_t operator_id;
	int64_t open_chats;    /* assigned, neither Closed nor OnPause */
	int64_t idle_since_ms; /* last assignment or activity; smaller = idle longer */
} ch_route_candidate;

/* Index into c of the operator to assign, or -1 when nobody has capacity. */
int ch_route_pick(const ch_route_candidate *c, size_t n, int64_t capacity);

/* Assigns up to nchats queued chats (oldest first, as given) to the
 * candidates, updating their open_chats and idle_since_ms (set to now_ms) as
 * it goes. out[i] receives the operator for chat i, or 0 when none had
 * capacity (the remaining chats stay queued). Returns how many were assigned. */
size_t ch_route_drain(ch_route_candidate *c, size_t n, int64_t capacity, size_t nchats, int64_t now_ms,
                      int64_t *out);

#endif
