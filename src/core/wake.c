/* wake.c — wake-ups deferred to the end of a batch (see wake.h).
 * Threading: thread-local state only. */
#include "core/wake.h"

#include <stddef.h>

/* Distinct wake-up functions per batch: a process has one or two (the loop's). */
#define WAKE_MAX 4

static __thread int deferring;
static __thread void (*pending[WAKE_MAX])(void);
static __thread size_t npending;

void ch_wake_defer_begin(void) { deferring = 1; }

void ch_wake_defer_end(void)
{
	deferring = 0;
	size_t n = npending;
	npending = 0;
	for (size_t i = 0; i < n; i++)
		pending[i]();
}

int ch_wake_defer(void (*fn)(void))
{
	if (!deferring)
		return 0;
	for (size_t i = 0; i < npending; i++)
		if (pending[i] == fn)
			return 1;
	if (npending == WAKE_MAX)
		return 0; /* never expected: wake now rather than lose it */
	pending[npending++] = fn;
	return 1;
}
