/* store.c — the PostgreSQL backend's lifecycle and read path: ch_store_open
 * for a postgresql:// URL (connect, migrate, writer thread), close, and reads
 * at REPEATABLE READ READ ONLY on a connection per reading thread, the single
 * snapshot SQLite's read transactions give.
 *
 * Threading: open and close run on one thread while no other thread uses the
 * store. A read runs on the calling thread with that thread's own connection,
 * opened on its first read and found again through a pthread key; every
 * reader connection is also listed in a registry (readers_mu) so close can
 * close them all.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/postgres/pg_int.h"

const ch_store_ops ch_store_pg_ops = {.name = "postgres", CH_STORE_OPS_INIT(pg)};

static void store_free(ch_store *s)
{
	ch_pg_conn_close(s->writer_conn);
	ch_store_tx *next;
	for (ch_store_tx *c = s->readers; c; c = next) {
		next = c->next;
		ch_pg_conn_close(c);
	}
	pthread_key_delete(s->reader_key);
	pthread_mutex_destroy(&s->readers_mu);
	ch_writeq_destroy(&s->c.wq);
	free(s->url);
	free(s->node_id);
	free(s);
}

static ch_err store_new(const ch_store_opts *opts, ch_store **out)
{
	*out = NULL;
	if (!PQisthreadsafe()) {
		CH_ERROR("store: the libpq library was built without thread support");
		return CH_ERR_INTERNAL;
	}
	ch_store *s = ch_xcalloc(1, sizeof *s);
	if (pthread_key_create(&s->reader_key, NULL) != 0) {
		free(s);
		return CH_ERR_INTERNAL;
	}
	s->c.ops = &ch_store_pg_ops;
	s->url = ch_xstrdup(opts->url);
	s->node_id = opts->node_id && *opts->node_id ? ch_xstrdup(opts->node_id) : NULL;
	ch_writeq_init(&s->c.wq, s, opts->queue_max);
	pthread_mutex_init(&s->readers_mu, NULL);
	*out = s;
	return CH_OK;
}

/* bseq goes on from this node's last row (a node id used again). */
static ch_err load_bseq(ch_store *s)
{
	if (!s->node_id)
		return CH_OK;
	ch_pg_params p = {0};
	ch_pg_text(&p, s->node_id);
	int64_t max = 0;
	ch_err err = ch_pg_one_int64(s->writer_conn, CH_PG_BUS_LOG_MAX, &p, &max);
	s->bseq = (uint64_t)max;
	return err;
}

ch_err ch_store_pg_open(const ch_store_opts *opts, ch_store **out, int *applied_out)
{
	ch_store *s;
	int applied = 0, changed;
	ch_err err = store_new(opts, &s);
	if (err != CH_OK)
		return err;
	err = ch_pg_conn_open(s, "writer", &s->writer_conn);
	if (err == CH_OK)
		err = ch_pg_migrate(s->writer_conn, &applied, &s->schema_version);
	if (err == CH_OK)
		err = load_bseq(s);
	if (err == CH_OK)
		err = ch_pg_writer_start(s);
	if (err == CH_OK) /* the first poll compares with what is there now */
		err = ch_store_pg_revocations_poll(s, &changed);
	if (err != CH_OK) {
		ch_pg_writer_stop(s);
		store_free(s);
		return err;
	}
	*out = s;
	if (applied_out)
		*applied_out = applied;
	return CH_OK;
}

void ch_store_pg_close(ch_store *s)
{
	ch_pg_writer_stop(s);
	store_free(s);
}

int ch_store_pg_schema_version(ch_store *s) { return s->schema_version; }

static ch_err reader_conn(ch_store *s, ch_store_tx **out)
{
	ch_store_tx *c = pthread_getspecific(s->reader_key);
	if (c) {
		*out = c;
		return CH_OK;
	}
	ch_err err = ch_pg_conn_open(s, "reader", &c);
	if (err != CH_OK)
		return err;
	pthread_mutex_lock(&s->readers_mu);
	c->next = s->readers;
	s->readers = c;
	pthread_mutex_unlock(&s->readers_mu);
	if (pthread_setspecific(s->reader_key, c) != 0) {
		CH_ERROR("store: cannot remember this thread's read connection");
		return CH_ERR_INTERNAL;
	}
	*out = c;
	return CH_OK;
}

ch_err ch_store_pg_read(ch_store *s, ch_store_fn fn, void *arg)
{
	ch_store_tx *c;
	ch_err err = reader_conn(s, &c);
	if (err != CH_OK)
		return err;
	if (c->in_tx) /* a read nested in a read on this thread joins its snapshot */
		return fn(c, arg);
	if ((err = ch_pg_conn_check(c)) != CH_OK || (err = ch_pg_begin(c, CH_PG_BEGIN_READ)) != CH_OK)
		return err;
	c->in_tx = 1;
	err = fn(c, arg);
	c->in_tx = 0;
	int failed = c->failed;
	c->failed = 0;
	ch_err end = ch_pg_exec(c, failed ? CH_PG_ROLLBACK : CH_PG_COMMIT, NULL, NULL);
	return err != CH_OK ? err : end;
}

ch_err ch_store_pg_ping(ch_store_tx *tx) { return ch_pg_exec(tx, CH_PG_PING, NULL, NULL); }

static ch_err read_revocations(ch_store_tx *tx, void *arg)
{
	return ch_pg_one_int64(tx, CH_PG_REVOCATIONS_GET, NULL, arg);
}

ch_err ch_store_pg_revocations_poll(ch_store *s, int *changed)
{
	int64_t gen = 0;
	*changed = 0;
	ch_err err = ch_store_pg_read(s, read_revocations, &gen);
	if (err != CH_OK)
		return err;
	int64_t seen = atomic_exchange(&s->revocations_seen, gen);
	if (seen != gen) {
		atomic_fetch_add(&s->principals_gen, 1);
		*changed = 1;
	}
	return CH_OK;
}

uint64_t ch_store_pg_principals_gen(ch_store *s) { return atomic_load(&s->principals_gen); }

void ch_store_pg_principals_stale(ch_store *s) { atomic_fetch_add(&s->principals_gen, 1); }
