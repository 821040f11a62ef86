/* search.c — keeps the full-text index up with the messages: SQLite indexes
 * a message after its commit (store.h, ch_store_search_catch_up), in chunks
 * from a periodic job the hub's tick starts, and before every search, so a
 * search sees every message committed before it. A chunk is a few
 * milliseconds of the writer: the index's cost leaves the messages' commits.
 * Threading: the jobs run on the store writer; the calls come from any
 * thread (the waiting one from an API worker, never the network thread). */
#include "core/log.h"
#include "svc/internal.h"

#define CHUNK 500       /* messages per job */
#define SEARCH_CHUNKS 32 /* jobs at most before one search: what a second of load leaves */

static ch_err catch_up_fn(ch_store_tx *tx, svc_job *j)
{
	int64_t n = 0;
	ch_err e = ch_store_search_catch_up(tx, CHUNK, &n);
	if (!e)
		svc_result(j, json_boolean(n == CHUNK)); /* true: more wait */
	return e;
}

void ch_svc_search_catch_up(ch_svc_done done, void *arg)
{
	svc_submit(svc_job_new(catch_up_fn, NULL, done, arg));
}

void ch_svc_search_catch_up_wait(void)
{
	for (int i = 0; i < SEARCH_CHUNKS; i++) {
		ch_svc_waiter *w = ch_svc_waiter_new();
		ch_svc_search_catch_up(ch_svc_waiter_done, w);
		ch_svc_result r;
		ch_svc_waiter_wait(w, &r);
		int more = !r.err && json_is_true(r.result);
		if (r.err && r.err != CH_ERR_BUSY)
			CH_WARN("search index catch-up failed: %s (the search answers from the index as it is)",
			        r.message[0] ? r.message : ch_err_text(r.err));
		json_decref(r.result);
		if (!more)
			return;
	}
}
