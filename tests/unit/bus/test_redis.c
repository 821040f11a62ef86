/* bus/node.c + redis.c + cluster.c against a private redis-server: two nodes
 * in one process (one libev loop, like the network thread), each with an
 * in-memory outbox. Each commits 1,000 batches; some never reach Redis (as if
 * the process stopped between COMMIT and PUBLISH), and Redis is killed and
 * restarted in the middle. Each node must apply every batch of the other
 * exactly once, in order. Skipped when redis-server is not installed. */
#include <criterion/criterion.h>
#include <ev.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "bus/codec.h"
#include "bus/node.h"

#define BATCHES 1000
#define RESTART_AT 500

/* ---- the loop's post queue (what net/loop.c does in the server) --------- */

typedef struct item {
	void (*fn)(void *);
	void *arg;
	struct item *next;
} item;
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static item *qhead, *qtail;
static struct ev_loop *loop;
static ev_async wake;

static void post(void (*fn)(void *), void *arg)
{
	item *it = malloc(sizeof *it);
	*it = (item){fn, arg, NULL};
	pthread_mutex_lock(&qmu);
	if (qtail)
		qtail->next = it;
	else
		qhead = it;
	qtail = it;
	pthread_mutex_unlock(&qmu);
	ev_async_send(loop, &wake);
}

static void drain(void)
{
	pthread_mutex_lock(&qmu);
	item *l = qhead;
	qhead = qtail = NULL;
	pthread_mutex_unlock(&qmu);
	while (l) {
		item *next = l->next;
		l->fn(l->arg);
		free(l);
		l = next;
	}
}

static void on_wake(struct ev_loop *l, ev_async *w, int revents) { drain(); }

/* ---- the in-memory outbox ------------------------------------------------ */

typedef struct outbox {
	const char *id;
	ch_buf rows[BATCHES + 1];
	uint64_t head;
} outbox;
static outbox logs[2] = {{.id = "node-a"}, {.id = "node-b"}};
static pthread_mutex_t lmu = PTHREAD_MUTEX_INITIALIZER;

static ch_err log_read(void *ctx, const char *node, uint64_t after, uint64_t upto, int64_t limit, ch_bus_row_fn each,
                       void *ectx)
{
	pthread_mutex_lock(&lmu);
	for (int i = 0; i < 2; i++) {
		if (strcmp(logs[i].id, node))
			continue;
		int64_t n = 0;
		for (uint64_t b = after + 1; b <= logs[i].head && b <= upto && n < limit; b++, n++)
			each(ectx, node, b, logs[i].rows[b].data, logs[i].rows[b].len);
	}
	pthread_mutex_unlock(&lmu);
	return CH_OK;
}

static ch_err log_heads(void *ctx, ch_bus_row_fn each, void *ectx)
{
	pthread_mutex_lock(&lmu);
	for (int i = 0; i < 2; i++)
		if (logs[i].head)
			each(ectx, logs[i].id, logs[i].head, NULL, 0);
	pthread_mutex_unlock(&lmu);
	return CH_OK;
}

/* ---- what each node's hub got -------------------------------------------- */

static int64_t got[2][BATCHES + 1];
static int ngot[2], disorder[2], typing[2];

static void deliver(void *ctx, ch_event *list)
{
	int me = (int)(intptr_t)ctx;
	for (ch_event *e = list; e; e = e->next) {
		if (!strcmp(e->target, "Typing")) {
			typing[me]++;
			continue;
		}
		if (ngot[me] < BATCHES)
			got[me][ngot[me]] = e->client_id;
		if (e->client_id != ngot[me] + 1)
			disorder[me]++;
		ngot[me]++;
	}
	ch_event_free_list(list);
}

#include "redis_server.h"

/* ---- the run -------------------------------------------------------------- */

static ch_bus_node *nodes[2];
static int committed, restarted;
static int64_t restart_at_ms;

static void commit_one(int who)
{
	outbox *o = &logs[who];
	ch_event *e = ch_event_new(CH_EV_INVOKE, CH_AUD_CLIENT, "ReceiveMessage", json_pack("[i]", (int)o->head + 1));
	e->client_id = (int64_t)o->head + 1;
	pthread_mutex_lock(&lmu);
	uint64_t b = ++o->head;
	ch_bus_encode(e, o->id, &o->rows[b]);
	pthread_mutex_unlock(&lmu);
	ch_event_free_list(e);
	if (b % 37 != 0 || b == BATCHES) /* every 37th never reaches Redis */
		ch_bus_node_committed(nodes[who], b, o->rows[b].data, o->rows[b].len);
}

static double now_s(void) { return ev_time(); }

static void on_commit(struct ev_loop *l, ev_timer *w, int revents)
{
	if (committed < BATCHES) {
		commit_one(0);
		commit_one(1);
		committed++;
		if (committed == RESTART_AT) {
			redis_kill();
			restart_at_ms = (int64_t)(now_s() * 1000) + 400;
		}
	}
	if (restart_at_ms && now_s() * 1000 >= restart_at_ms && !restarted) {
		redis_start();
		restarted = 1;
	}
	if (committed == 50 && !typing[1]) { /* one unlogged event, A to B */
		ch_event *t = ch_event_new(CH_EV_INVOKE, CH_AUD_CLIENT, "Typing", json_pack("[i, i]", 1, 0));
		ch_bus_node_ephemeral(nodes[0], t);
		ch_event_free_list(t);
	}
	if (committed == BATCHES && ngot[0] >= BATCHES && ngot[1] >= BATCHES)
		ev_break(l, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *l, ev_timer *w, int revents) { ev_break(l, EVBREAK_ALL); }

Test(redis, two_nodes_exactly_once_across_a_restart, .timeout = 60)
{
	if (system("command -v redis-server >/dev/null 2>&1") != 0)
		cr_skip_test("redis-server is not installed");
	cr_assert_not_null(mkdtemp(dir));
	port = free_port();
	redis_start();
	usleep(300000);
	loop = ev_loop_new(EVFLAG_AUTO);
	ev_async_init(&wake, on_wake);
	ev_async_start(loop, &wake);
	ch_workq *pool = ch_workq_start("bus-test", 2, 0);
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
	for (int i = 0; i < 2; i++) {
		nodes[i] = ch_bus_node_start(&(ch_bus_cluster_opts){
		    .url = url, .node_id = logs[i].id, .prefix = "chtest", .loop = loop, .post = post, .pool = pool,
		    .log_read = log_read, .log_heads = log_heads, .deliver = deliver, .deliver_ctx = (void *)(intptr_t)i});
		cr_assert_not_null(nodes[i]);
	}
	/* let both subscribe and hear each other's heartbeat before committing */
	ev_timer start_delay;
	ev_timer_init(&start_delay, on_deadline, 1.0, 0);
	ev_timer_start(loop, &start_delay);
	ev_run(loop, 0);
	ev_timer commit, deadline;
	ev_timer_init(&commit, on_commit, 0.001, 0.002);
	ev_timer_init(&deadline, on_deadline, 45, 0);
	ev_timer_start(loop, &commit);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &commit);
	ev_timer_stop(loop, &deadline);
	for (int i = 0; i < 2; i++)
		ch_bus_node_stop(nodes[i]);
	ch_workq_stop(pool);
	drain();
	redis_kill();
	ev_async_stop(loop, &wake);
	ev_loop_destroy(loop);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);

	cr_assert_eq(committed, BATCHES);
	cr_assert(restarted);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ngot[i], BATCHES, "node %d applied %d batches of the other", i, ngot[i]);
		cr_assert_eq(disorder[i], 0, "node %d: %d out of order", i, disorder[i]);
		for (int k = 0; k < BATCHES; k++)
			cr_assert_eq(got[i][k], k + 1);
	}
	cr_assert_eq(typing[1], 1); /* sent while Redis was up: once; never back to its sender */
	cr_assert_eq(typing[0], 0);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b <= BATCHES; b++)
			ch_buf_free(&logs[i].rows[b]);
}
