/* webhooks.h — the delivery loop of webhooks: every second, soon after a
 * commit's events reach this process, and at once after a batch that made
 * progress, due cursors are claimed and their next events
 * prepared on the outbound pool's worker (svc/webhook_delivery.c: store jobs,
 * reads, DNS), then POSTed with the one outbound HTTP client (net/outbound.c)
 * from the network thread; each outcome is recorded by svc.
 * Threading: network thread, except the load job. */
#ifndef CH_NET_WEBHOOKS_H
#define CH_NET_WEBHOOKS_H

#include "core/workq.h"

/* workers borrowed: the outbound pool. */
void ch_webhooks_init(ch_workq *workers);
/* Once a second from the server's timer. */
void ch_webhooks_tick(void);
/* After a commit's events reached this process (its own, or another's over
 * the bus): a load soon, at most one per CH_WEBHOOKS_KICK_MS, so a receiver
 * hears of a change without waiting for the timer. */
#define CH_WEBHOOKS_KICK_MS 100
void ch_webhooks_kick(void);

#endif
