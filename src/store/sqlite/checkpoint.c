/* checkpoint.c — WAL checkpoints on their own thread, off the writer.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold: the writer copies a thousand pages into the database file and
 * waits for two fdatasyncs while every queued message waits behind it. Here
 * the writer connection has no automatic checkpoint; its WAL hook wakes the
 * checkpointer thread (niced, its own connection) each time the WAL has grown
 * by CKPT_STEP frames, and that thread runs a PASSIVE checkpoint while the
 * writer goes on committing (WAL mode lets one checkpointer run beside the
 * writer). Durability is unchanged: commits are in the WAL either way.
 *
 * A round copies each page once, however many frames of it the WAL holds, so
 * rounds further apart copy fewer pages per message: the pages a message
 * touches (its chat's index leaves, the chat row, the tails of the append-only
 * tables) are written by many commits in a row. Rounds back to back copied
 * about one page per WAL frame; CKPT_STEP is the step past which the open-loop
 * p99 grew on the chat bench (a larger round's WAL fdatasync stalls the
 * writer's appends; bench/analysis.md).
 *
 * A round copies the frames committed before it began, so under steady
 * writes it always ends a little behind, and the WAL only starts over (at the
 * writer's next transaction) once every frame is copied. So once the WAL
 * holds CKPT_RESTART_FRAMES, the writer copies the frames committed since the
 * last round itself, from its hook, with nothing committing: a pause of a few
 * milliseconds, after which the WAL starts over. In the last 1,024 frames
 * before that mark rounds run back to back, so the writer's part stays short
 * (the frames of one short round, after waiting for it to end).
 *
 * Threading: the hook runs on the writer thread; ckpt_mu guards the request
 * and running flags and the stop flag. One checkpoint runs at a time
 * (ckpt_running).
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

#define CKPT_STEP 2048              /* frames of WAL growth between two rounds */
#define CKPT_RESTART_FRAMES 16384   /* 64 MiB of 4 KiB pages (journal_size_limit) */
#define CKPT_LAST_ROUND (CKPT_RESTART_FRAMES - 1024) /* the writer's copy stays short */
#define CKPT_NICE 10

/* One PASSIVE checkpoint on c's connection; the caller set ckpt_running. */
static void checkpoint_round(ch_store *s, ch_store_tx *c)
{
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
		ch_store_sqlite_fail(c, rc, "checkpoint");
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_running = 0;
	pthread_cond_broadcast(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
}

/* The writer connection's WAL hook: after every commit, with the WAL's size
 * in frames. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	ch_store *s = arg;
	pthread_mutex_lock(&s->ckpt_mu);
	if (frames < s->ckpt_asked_at) /* the WAL started over */
		s->ckpt_asked_at = 0;
	if (frames < CKPT_RESTART_FRAMES) {
		int due = frames - s->ckpt_asked_at >= CKPT_STEP || frames >= CKPT_LAST_ROUND;
		if (due) {
			s->ckpt_asked_at = frames;
			s->ckpt_wanted = 1;
			pthread_cond_broadcast(&s->ckpt_cv);
		}
		pthread_mutex_unlock(&s->ckpt_mu);
		return SQLITE_OK;
	}
	/* Time the WAL started over: let the round in progress end, then copy
	 * what was committed meanwhile, here, while nothing commits. */
	while (s->ckpt_running && !s->ckpt_stopping)
		pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
	s->ckpt_running = 1;
	pthread_mutex_unlock(&s->ckpt_mu);
	checkpoint_round(s, s->writer_conn);
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	ch_store *s = arg;
	/* Copying pages can wait for idle moments: the writer and the network
	 * thread come first on a busy core. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), CKPT_NICE) != 0)
		CH_DEBUG("store: checkpoint thread keeps its priority");
	pthread_mutex_lock(&s->ckpt_mu);
	for (;;) {
		while ((!s->ckpt_wanted || s->ckpt_running) && !s->ckpt_stopping)
			pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
		if (s->ckpt_stopping)
			break;
		s->ckpt_wanted = 0;
		s->ckpt_running = 1;
		pthread_mutex_unlock(&s->ckpt_mu);
		checkpoint_round(s, s->ckpt_conn);
		pthread_mutex_lock(&s->ckpt_mu);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	return NULL;
}

ch_err ch_store_sqlite_checkpointer_start(ch_store *s)
{
	ch_err err = ch_store_sqlite_conn_open(s, 0, &s->ckpt_conn);
	if (err != CH_OK)
		return err;
	if (pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s) != 0) {
		CH_ERROR("store: cannot start the checkpoint thread");
		return CH_ERR_INTERNAL;
	}
	pthread_setname_np(s->ckpt_thread, "ch-store-ckpt");
	s->ckpt_started = 1;
	/* From now on the writer's commits never checkpoint by themselves. */
	sqlite3_wal_hook(s->writer_conn->db, wal_hook, s);
	return CH_OK;
}

void ch_store_sqlite_checkpointer_stop(ch_store *s)
{
	if (!s->ckpt_started)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_stopping = 1;
	pthread_cond_broadcast(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	pthread_join(s->ckpt_thread, NULL);
	s->ckpt_started = 0;
}
