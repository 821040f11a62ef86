/* store.c — the functions of store.h, each one indirect call into the backend
 * the store was opened with (store/backend.h) but the writer queue's, which
 * go to the store's writeq.c queue (ch_store_common), and the choice of that
 * backend by URL in ch_store_open.
 *
 * Threading: no state of its own but the deferred wake-ups, which are
 * thread-local (ch_store_defer_wakeups is per thread); every call runs on the
 * caller's thread with the backend's own threading rules.
 */
#include <string.h>

#include "core/log.h"
#include "store/backend.h"

#define OPS(p) (((const ch_store_head *)(const void *)(p))->ops)
#define WQ(s) (&((ch_store_common *)(void *)(s))->wq)

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

ch_err ch_store_open(const ch_store_opts *opts, ch_store **out, int *applied_out)
{
	*out = NULL;
	const char *url = opts ? opts->url : NULL;
	if (!url || !*url)
		return ch_store_sqlite_open(opts, opts ? opts->path : NULL, out, applied_out);
	if (has_prefix(url, "sqlite:"))
		return ch_store_sqlite_open(opts, url + strlen("sqlite:"), out, applied_out);
	if (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://"))
		return ch_store_pg_open(opts, out, applied_out);
	CH_ERROR("store: unknown store URL scheme (expected sqlite:, postgresql:// or postgres://)");
	return CH_ERR_INTERNAL;
}

const char *ch_store_backend(ch_store *s) { return OPS(s)->name; }

#define CH_DISPATCH_S(P, ret, op, params, args)                                                    \
	ret ch_store_##op params { return OPS(s)->op args; }
#define CH_DISPATCH_SV(P, ret, op, params, args)                                                   \
	ret ch_store_##op params { OPS(s)->op args; }
#define CH_DISPATCH_TX(P, ret, op, params, args)                                                   \
	ret ch_store_##op params { return OPS(tx)->op args; }
#define CH_DISPATCH_TXV(P, ret, op, params, args)                                                  \
	ret ch_store_##op params { OPS(tx)->op args; }

CH_STORE_S_OPS(CH_DISPATCH_S, _)
CH_STORE_TX_OPS(CH_DISPATCH_TX, _)
CH_STORE_TX_VOPS(CH_DISPATCH_TXV, _)

/* The store-level void operations. */
void ch_store_close(ch_store *s)
{
	if (s)
		OPS(s)->close(s);
}

/* The writer queue is the same for every backend (ch_store_common). */
void ch_store_write(ch_store *s, ch_store_fn fn, void *arg, ch_store_done_fn done)
{
	ch_writeq_write(WQ(s), fn, arg, done);
}

ch_err ch_store_write_sync(ch_store *s, ch_store_fn fn, void *arg)
{
	return ch_writeq_write_sync(WQ(s), fn, arg);
}

void ch_store_stats_get(ch_store *s, ch_store_stats *out) { ch_writeq_stats_get(WQ(s), out); }

void ch_store_set_batch_sink(ch_store *s, ch_store_batch_sink fn, void *ctx)
{
	ch_writeq_set_sink(WQ(s), fn, ctx);
}

void ch_store_principals_stale(ch_store *s) { OPS(s)->principals_stale(s); }

/* Threads that asked for deferred wake-ups (the network thread) queue writes
 * during a loop turn and wake the writer once at its end: the turn's writes
 * form one group commit, and a single core is not switched to the writer for
 * every one of them. */
static __thread int defer_wakeups;
static __thread ch_store *wake_pending;

void ch_store_defer_wakeups(void) { defer_wakeups = 1; }

void ch_store_flush_wakeups(void)
{
	ch_store *s = wake_pending;
	if (!s)
		return;
	wake_pending = NULL;
	ch_writeq_wake(WQ(s));
}

int ch_store_backend_defer_wake(ch_store *s)
{
	if (defer_wakeups && (!wake_pending || wake_pending == s)) {
		wake_pending = s;
		return 1;
	}
	return 0;
}
