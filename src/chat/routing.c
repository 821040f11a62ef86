/* routing.c — picks the operator for a chat: below capacity, fewest open
 * chats, then longest idle, then lowest id (deterministic). The drain assigns
 * queued chats one at a time, re-picking after each so load spreads evenly.
 * Candidate lists are per organization (tens of operators), so a linear scan
 * per chat is cheaper than keeping a heap.
 * Threading: pure; any thread (the caller owns the candidate array).
 */
#include "chat/routing.h"

#include <limits.h>

/* 1 when a should be chosen over b. */
static int ch_route_better(const ch_route_candidate *a, const ch_route_candidate *b)
{
	if (a->open_chats != b->open_chats)
		return a->open_chats < b->open_chats;
	if (a->idle_since_ms != b->idle_since_ms)
		return a->idle_since_ms < b->idle_since_ms;
	return a->operator_id < b->operator_id;
}

int ch_route_pick(const ch_route_candidate *c, size_t n, int64_t capacity)
{
	int best = -1;
	if (!c || capacity <= 0 || n > (size_t)INT_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].open_chats >= capacity)
			continue;
		if (best < 0 || ch_route_better(&c[i], &c[best]))
			best = (int)i;
	}
	return best;
}

size_t ch_route_drain(ch_route_candidate *c, size_t n, int64_t capacity, size_t nchats, int64_t now_ms,
                      int64_t *out)
{
	size_t assigned = 0;
	size_t i = 0;
	for (; i < nchats; i++) {
		int k = ch_route_pick(c, n, capacity);
		if (k < 0)
			break; /* everyone is full: nothing later can change that */
		c[k].open_chats++;
		c[k].idle_since_ms = now_ms;
		out[i] = c[k].operator_id;
		assigned++;
	}
	for (; i < nchats; i++)
		out[i] = 0;
	return assigned;
}
