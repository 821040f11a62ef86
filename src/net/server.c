/* server.c — lws context on a foreign libev loop, worker pools, signals.
 *
 * lws runs on its libev event-lib plugin with the loop owned by us
 * (LWS_SERVER_OPTION_LIBEV + foreign_loops), so we call ev_run() ourselves and
 * can add our own watchers (signals, the completion queue, drain timer).
 * Shutdown: SIGTERM/SIGINT → refuse new connections → wait until no request
 * is in flight (bounded) → stop workers (their last completions drain) →
 * destroy the context → ev_break. The store is flushed by the caller.
 * Threading: everything here runs on the network thread.
 */
#include "net/server.h"

#include <ev.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/workq.h"
#include "net/conns.h"
#include "net/http.h"
#include "net/listener.h"
#include "net/proxyproto.h"
#include "net/loop.h"
#include "net/outbound.h"
#include "net/webhooks.h"
#include "net/peers.h"
#include "net/sessions.h"
#include "net/static.h"
#include "net/ws.h"
#include "bus/bus.h"
#include "bus/node.h"
#include "hub/hub.h"
#include "hub/order.h"

/* The outbox keeps two minutes, far above the bus's fill window, so a fill
 * always finds every committed row; one process trims every 10 s. */
#define BUS_LOG_KEEP_MS 120000
#define BUS_TRIM_EVERY_MS 10000

static struct {
	struct ev_loop *loop;
	struct lws_context *ctx;
	ch_workq *api_pool, *hash_pool, *hub_pool;
	ch_workq *outbound_pool; /* delivery loads and their DNS lookups, off the API pool */
	ch_workq *bus_pool;      /* cluster bus: outbox reads and trims, off the clients' pools */
	int64_t trimmed_ms;      /* the last outbox trim */
	ch_order *order;         /* cluster only: each chat's events in seq order (hub/order.h) */
	ev_timer order_timer;    /* armed for the order's earliest hold deadline */
	int64_t order_at;        /* that deadline (monotonic ms), INT64_MAX = not armed */
	ev_signal sigterm, sigint;
	ev_timer drain, tick;
	ev_check after_io;
	ev_prepare before_sleep;
	int64_t drain_deadline_ms;
	const ch_server_opts *o;
	int stopping;
} S;

static struct lws_protocols protocols[] = {
	{"http", ch_http_callback, 0, 0, 0, NULL, 0},
	{CH_OUTBOUND_PROTOCOL, ch_outbound_callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static ch_err noop(ch_store_tx *tx, void *arg)
{
	(void)tx, (void)arg;
	return CH_OK;
}

static void order_stop(void);

static void finish(void)
{
	ev_timer_stop(S.loop, &S.drain);
	ev_timer_stop(S.loop, &S.tick);
	ev_check_stop(S.loop, &S.after_io);
	ev_prepare_stop(S.loop, &S.before_sleep);
	ch_store_flush_wakeups();
	/* Workers may still post completions; stop them first, then let the store
	 * writer finish what is queued (its done callbacks post too), then run
	 * every posted completion, and only then take the connections down. */
	ch_workq_stop(S.api_pool);
	ch_workq_stop(S.hash_pool);
	ch_workq_stop(S.hub_pool);
	ch_workq_stop(S.outbound_pool);
	ch_workq_stop(S.bus_pool);
	S.api_pool = S.hash_pool = S.hub_pool = S.outbound_pool = S.bus_pool = NULL;
	ch_store_write_sync(S.o->store, noop, NULL);
	if (S.o->bus_url && *S.o->bus_url)
		ch_bus_cluster_stop(); /* after the writer's last batch went to it */
	ch_loop_fini();
	ch_bus_set_sink(NULL);
	order_stop(); /* what it still holds goes out first */
	ch_hub_shutdown();
	ch_listener_close();
	lws_context_destroy(S.ctx);
	S.ctx = NULL;
	ch_sessions_fini(); /* the negotiated connections no HTTP request held */
	ch_hub_fini();
	ev_signal_stop(S.loop, &S.sigterm);
	ev_signal_stop(S.loop, &S.sigint);
	ev_break(S.loop, EVBREAK_ALL);
}

static void on_drain_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	int n = ch_http_inflight();
	if (n == 0 || ch_mono_ms() >= S.drain_deadline_ms) {
		if (n)
			CH_WARN("shutdown: %d request(s) still in flight after %llds, closing", n,
			        (long long)S.o->shutdown_timeout_s);
		finish();
	}
}

/* ---- revocations made by other processes -------------------------------- */

static int poll_busy;

static void poll_done(void *changed)
{
	poll_busy = 0;
	if (changed && !S.stopping)
		ch_hub_recheck_principals(); /* live hub connections of revoked principals */
}

/* Worker: the database's revocation counter; a change (a password changed or
 * tokens revoked with the admin CLI) drops this process's cached principals
 * and has the hub check its staff connections again. */
static void poll_run(void *arg)
{
	int changed = 0;
	(void)arg;
	if (ch_store_revocations_poll(S.o->store, &changed) == CH_OK && changed) {
		CH_DEBUG("tokens were revoked in the database: principals are checked again");
		ch_api_keys_reload(); /* keys another process created or revoked */
	}
	ch_loop_post(poll_done, changed ? (void *)1 : NULL);
}

/* ---- per-chat order on a cluster (hub/order.h) --------------------------- */

static void on_order_timer(struct ev_loop *l, ev_timer *w, int revents);

/* Arms the timer for the earliest hold deadline, finer than the 1 s tick. */
static void order_arm(void)
{
	int64_t at = ch_order_deadline(S.order);
	if (at == S.order_at)
		return;
	ev_timer_stop(S.loop, &S.order_timer);
	S.order_at = at;
	if (at == INT64_MAX)
		return;
	int64_t in = at - ch_mono_ms();
	ev_timer_set(&S.order_timer, in > 0 ? (double)in / 1000. : 0., 0.);
	ev_timer_start(S.loop, &S.order_timer);
}

static void order_tick(void)
{
	ch_event *out = NULL;
	ch_order_tick(S.order, ch_mono_ms(), &out);
	ch_hub_deliver(out);
	S.order_at = INT64_MAX; /* the timer is stopped or has fired */
	ev_timer_stop(S.loop, &S.order_timer);
	order_arm();
}

static void on_order_timer(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	order_tick();
}

static void order_start(void)
{
	S.order = ch_order_new(NULL);
	S.order_at = INT64_MAX;
	ev_timer_init(&S.order_timer, on_order_timer, 0., 0.);
}

/* Shutdown: what is held goes to the hub, in each chat's order. */
static void order_stop(void)
{
	if (!S.order)
		return;
	ev_timer_stop(S.loop, &S.order_timer);
	ch_event *out = NULL;
	ch_order_flush(S.order, &out);
	ch_hub_deliver(out);
	ch_order_free(S.order);
	S.order = NULL;
}

/* ---- the cluster bus (bus/node.h) ------------------------------------------ */

typedef struct log_call {
	const char *node_id;
	uint64_t after, upto;
	int64_t limit;
	ch_bus_row_fn each;
	void *each_ctx;
} log_call;

static ch_err log_read_tx(ch_store_tx *tx, void *arg)
{
	log_call *k = arg;
	return ch_store_bus_log_read(tx, k->node_id, k->after, k->upto, k->limit, k->each, k->each_ctx);
}

static ch_err log_heads_tx(ch_store_tx *tx, void *arg)
{
	log_call *k = arg;
	return ch_store_bus_log_heads(tx, k->each, k->each_ctx);
}

/* The bus's blocking seams: on the bus pool (or before serving), never here. */
static ch_err log_read(void *ctx, const char *node_id, uint64_t after, uint64_t upto, int64_t limit,
                       ch_bus_row_fn each, void *each_ctx)
{
	log_call k = {node_id, after, upto, limit, each, each_ctx};
	return ch_store_read(ctx, log_read_tx, &k);
}

static ch_err log_heads(void *ctx, ch_bus_row_fn each, void *each_ctx)
{
	log_call k = {.each = each, .each_ctx = each_ctx};
	return ch_store_read(ctx, log_heads_tx, &k);
}

static ch_err trim_tx(ch_store_tx *tx, void *arg)
{
	(void)arg;
	int64_t deleted = 0;
	ch_err e = ch_store_bus_log_trim(tx, BUS_LOG_KEEP_MS, &deleted);
	if (!e && deleted)
		CH_DEBUG("bus: %lld outbox rows older than %d s trimmed", (long long)deleted, BUS_LOG_KEEP_MS / 1000);
	return e;
}

static void trim_run(void *arg)
{
	(void)arg;
	ch_err e = ch_store_write_sync(S.o->store, trim_tx, NULL);
	if (e)
		CH_WARN("bus: trimming the outbox failed: %s", ch_err_text(e));
}

/* Other processes' events, on the network thread. A revocation's event
 * invalidates the cached principals before anything else reads them: a
 * token another process revoked is refused from then on here too, not only
 * after the next once-a-second poll. */
static void cluster_deliver(void *ctx, ch_event *list)
{
	for (const ch_event *ev = list; ev; ev = ev->next)
		if (ev->kind == CH_EV_CLOSE_OPERATOR || ev->kind == CH_EV_CLOSE_KEY || ev->kind == CH_EV_CLOSE_CLIENT) {
			ch_store_principals_stale(ctx);
			break;
		}
	ch_bus_publish(list);
}

static int start_bus(const ch_server_opts *o)
{
	if (!o->bus_url || !*o->bus_url)
		return 0;
	S.bus_pool = ch_workq_start("bus", 1, 0);
	order_start();
	ch_bus_cluster_opts bo = {.url = o->bus_url, .node_id = o->node_id, .prefix = o->bus_prefix,
	                          .loop = S.loop, .post = ch_loop_post,
	                          .pool = S.bus_pool, .log_read = log_read, .log_heads = log_heads,
	                          .log_ctx = o->store, .deliver = cluster_deliver, .deliver_ctx = o->store};
	if (ch_bus_cluster_start(&bo)) {
		CH_ERROR("bus: cannot start the cluster bus on %s (the outbox could not be read)", o->bus_url);
		return -1;
	}
	ch_store_set_batch_sink(o->store, ch_bus_cluster_committed, NULL);
	return 0;
}

/* Every BUS_TRIM_EVERY_MS one trim job (any process may run it: the delete
 * is idempotent). */
static void bus_tick(int64_t now_ms)
{
	if (!S.bus_pool || now_ms - S.trimmed_ms < BUS_TRIM_EVERY_MS)
		return;
	S.trimmed_ms = now_ms;
	ch_workq_submit(S.bus_pool, trim_run, NULL);
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	if (!poll_busy && !S.stopping) {
		poll_busy = 1;
		ch_workq_submit(S.api_pool, poll_run, NULL);
	}
	ch_hub_tick(ch_now_ms());
	if (S.order)
		order_tick(); /* idle chats are forgotten */
	if (!S.stopping)
		bus_tick(ch_mono_ms());
	ch_sessions_tick();
	if (!S.stopping) {
		ch_outbound_tick();
		ch_webhooks_tick();
	}
	ch_metrics_gauge_set(CH_GAUGE_HUB_CONNECTIONS, (int64_t)ch_hub_count());
}

/* The sink's hand-over on the network thread. One process alone delivers at
 * once (its events are in commit order already); on a cluster every event,
 * local or another process's, passes the order first. */
static void deliver(void *arg)
{
	if (!S.stopping)
		ch_webhooks_kick(); /* the commit may have recorded organization events */
	if (!S.order) {
		ch_hub_deliver(arg);
		return;
	}
	ch_event *out = NULL;
	ch_order_push(S.order, arg, ch_mono_ms(), &out);
	ch_hub_deliver(out);
	order_arm();
}

static void on_after_io(struct ev_loop *l, ev_check *w, int revents)
{
	(void)l, (void)w, (void)revents;
	ch_ws_sweep();
}

/* The end of a loop turn: what the hub queued this turn goes to the sockets
 * (one write per connection), the keep-alive connections answered this turn
 * are ready for their next request, the writes go to the store's writer, at once. */
static void on_before_sleep(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l, (void)w, (void)revents;
	ch_ws_flush();
	ch_http_settle();
	ch_store_flush_wakeups();
}

/* Bus sink: committed events go to the hub on the network thread, in order,
 * encoded on the publishing thread (the store writer), which frees their JSON. */
static void sink(ch_event *list)
{
	ch_hub_prepare(list);
	ch_loop_post(deliver, list);
}

static void on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	if (S.stopping) {
		CH_WARN("second signal: stopping now");
		finish();
		return;
	}
	S.stopping = 1;
	CH_INFO("signal %d: no new connections; finishing %d in-flight request(s)", w->signum,
	        ch_http_inflight());
	ch_http_set_draining();
	/* a shared port (listen_reuse_port): the kernel sends new connections to the other processes */
	ch_listener_close();
	S.drain_deadline_ms = ch_mono_ms() + S.o->shutdown_timeout_s * 1000;
	ev_timer_init(&S.drain, on_drain_tick, 0., 0.02);
	ev_timer_start(l, &S.drain);
}

/* Splits "ADDR:PORT" (ADDR may be empty or "*" for every interface). */
static int parse_listen(const char *s, char *addr, size_t an, int *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return -1;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535 || end == colon + 1)
		return -1;
	size_t n = (size_t)(colon - s);
	if (n >= an)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (addr[0] == '[' && n > 1 && addr[n - 1] == ']') { /* [::1] */
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = '\0';
	}
	*port = (int)p;
	return 0;
}

/* The lws log levels in force (lws_set_log_level below); all until then. */
static int lws_levels = 0x7fffffff;

/* libwebsockets 4.1 as packaged calls _lws_log for every byte of request
 * headers its parser reads (its parser-level debug lines are compiled in),
 * and _lws_log drops them only after a call into _lws_logv: ~5 % of a
 * validate-token request. lws calls _lws_log through its PLT, so this
 * definition, exported by the executable (CMakeLists.txt: lws-log.list),
 * takes its place and drops a level that is off before anything else. */
void _lws_log(int filter, const char *format, ...)
{
	if (!(filter & lws_levels))
		return;
	va_list ap;
	va_start(ap, format);
	_lws_logv(filter, format, ap);
	va_end(ap);
}

static void lws_log_bridge(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	ch_log(level == LLL_ERR ? CH_LOG_WARN : CH_LOG_DEBUG, "lws: %.*s", (int)n, line);
}

/* Raises the soft open-files limit to the hard one (shells and service
 * managers often start at 1,024) and returns the limit now in force. */
static int64_t raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			CH_INFO("open-files limit raised from %llu to %llu", (unsigned long long)was,
			        (unsigned long long)rl.rlim_cur);
		else
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 22) ? (1 << 22) : (int64_t)rl.rlim_cur;
}

/* Connections the server accepts: the configured number, or the open-files
 * limit minus what the database connections, worker threads, outbound
 * requests and lws itself need, so that accept() never meets a full table
 * (where it would fail and be retried at once, forever). */
static int64_t connection_limit(const ch_server_opts *o, int64_t fd_limit)
{
	int64_t reserve = 128 + 4 * (int64_t)(o->api_workers + o->hash_workers + 8);
	int64_t derived = fd_limit - reserve;
	if (derived < 16)
		derived = 16;
	return o->max_connections && o->max_connections < derived ? o->max_connections : derived;
}

static struct lws_context *create_context(const ch_server_opts *o, const char *addr, int port)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	protocols[0].per_session_data_size = ch_http_pss_size();
	/* listen_reuse_port: net/listener.c owns the socket, the vhost only serves what it adopts */
	info.port = o->listen_reuse_port || ch_proxyproto_enabled() ? CONTEXT_PORT_NO_LISTEN_SERVER : port;
	info.iface = addr[0] && strcmp(addr, "*") && strcmp(addr, "0.0.0.0") ? addr : NULL;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
	               LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | /* https outbound URLs */
	               LWS_SERVER_OPTION_DISABLE_IPV6 * (info.iface && strchr(addr, ':') == NULL);
	info.foreign_loops = (void **)&S.loop;
	info.timeout_secs = (unsigned)o->http_timeout_s;
	info.keepalive_timeout = (int)o->http_timeout_s;
	info.max_http_header_data = 8192;
	info.max_http_header_pool = 1024;
	info.pt_serv_buf_size = 64 * 1024;
	info.vhost_name = "chathub";
	info.server_string = "ChatHub";
	return lws_create_context(&info);
}

/* The host to put in printed URLs: a wildcard address is reached via loopback. */
static const char *info_host(const char *addr)
{
	return !addr[0] || !strcmp(addr, "*") || !strcmp(addr, "0.0.0.0") ? "127.0.0.1" : addr;
}

static void start_hub(const ch_server_opts *o)
{
	ch_hub_init(&(ch_hub_opts){
		.readers = S.hub_pool, .post = ch_loop_post, .headroom = LWS_PRE,
		.ping_ms = o->hub_keep_alive_s * 1000, .idle_ms = o->hub_client_timeout_s * 1000, .offline_grace_ms = o->offline_grace_s * 1000,
		.auto_close_every_ms = o->auto_close_interval_s * 1000,
		.retention_every_ms = o->retention_interval_s * 1000,
		.hours_every_ms = o->business_hours_interval_s * 1000,
		.events_retention_ms = o->events_retention_days * 86400000LL,
		.handshake_ms = o->hub_handshake_timeout_s * 1000, .queue_max_bytes = o->hub_queue_max_bytes,
		.stall_ms = o->hub_stall_timeout_s * 1000, .rate = o->hub_rate, .burst = o->hub_burst,
		.principal_rate = o->hub_principal_rate, .principal_burst = o->hub_principal_burst,
		.max_in_flight = o->hub_max_in_flight});
}

int ch_server_run(const ch_server_opts *o)
{
	char addr[128];
	int port;
	if (parse_listen(o->listen, addr, sizeof addr, &port)) {
		CH_ERROR("listen: expected ADDR:PORT, got \"%s\"", o->listen);
		return 2;
	}
	char why[200];
	if (ch_proxyproto_trust_set(o->proxy_protocol_from, why, sizeof why)) {
		CH_ERROR("%s", why);
		return 2;
	}
	if (ch_static_load(o->web_dir, o->web_bundle_dir) < 0)
		CH_WARN("no static files served (web dir %s unreadable)", o->web_dir);
	memset(&S, 0, sizeof S);
	S.o = o;
	S.loop = ev_default_loop(EVFLAG_AUTO);
	signal(SIGPIPE, SIG_IGN);
	lws_levels = LLL_ERR | (ch_log_enabled(CH_LOG_DEBUG) ? LLL_WARN | LLL_NOTICE : 0);
	lws_set_log_level(lws_levels, lws_log_bridge);
	ch_loop_init(S.loop);
	int64_t fds = raise_fd_limit(), conns = connection_limit(o, fds);
	int64_t per_ip_body = o->body_memory_max / 4 > o->body_largest ? o->body_memory_max / 4 : o->body_largest;
	ch_peers_init(&(ch_peers_limits){.max_connections = conns, .max_connections_per_ip = o->max_connections_per_ip,
	                                 .body_memory_max = o->body_memory_max,
	                                 .body_memory_per_ip = per_ip_body < o->body_memory_max ? per_ip_body
	                                                                                        : o->body_memory_max});
	CH_DEBUG("accepting up to %lld connections (open-files limit %lld)", (long long)conns, (long long)fds);
	S.api_pool = ch_workq_start("api", o->api_workers, o->work_queue_max);
	S.hash_pool = ch_workq_start("hash", o->hash_workers, o->work_queue_max);
	/* hub reads on their own pool: a flood of Syncs does not delay REST */
	S.hub_pool = ch_workq_start("hub", o->hub_workers, o->work_queue_max);
	S.outbound_pool = ch_workq_start("outbound", 1, o->work_queue_max);
	ch_http_init(&(ch_http_opts){.api = o->api, .api_pool = S.api_pool, .hash_pool = S.hash_pool});
	ch_ws_init(o->key, o->hub_connections_per_principal);
	ch_sessions_init(&(ch_sessions_opts){.key = o->key, .per_principal = o->hub_connections_per_principal,
	                                     .poll_ms = o->hub_poll_timeout_s * 1000,
	                                     .idle_ms = o->hub_client_timeout_s * 1000});
	start_hub(o);
	ch_bus_set_sink(sink);
	int bus_failed = start_bus(o), listen_failed = 0;
	/* our own accept loop: a shared port, or a balancer's PROXY header to read first */
	int own_listener = o->listen_reuse_port || ch_proxyproto_enabled();
	if (!bus_failed && own_listener)
		listen_failed = ch_listener_open(addr, port, o->listen_reuse_port, &port);
	else if (!bus_failed)
		listen_failed = ch_listener_probe(addr, port);
	S.ctx = bus_failed || listen_failed ? NULL : create_context(o, addr, port);
	if (!S.ctx) {
		ch_listener_close();
		if (!bus_failed && !listen_failed)
			CH_ERROR("cannot listen on %s (address in use, or libwebsockets-evlib-ev missing?)", o->listen);
		if (S.bus_pool && !bus_failed)
			ch_bus_cluster_stop();
		ch_workq_stop(S.bus_pool);
		S.bus_pool = NULL;
		ch_workq_stop(S.api_pool);
		ch_workq_stop(S.hash_pool);
		ch_workq_stop(S.hub_pool);
		ch_workq_stop(S.outbound_pool);
		ch_order_free(S.order);
		S.order = NULL;
		ch_hub_fini();
		ch_loop_fini();
		return 1;
	}
	ch_outbound_init(S.ctx, o->store, S.outbound_pool, o->outbound_allow_private);
	ch_webhooks_init(S.outbound_pool);
	if (own_listener)
		ch_listener_start(S.loop, lws_get_vhost_by_name(S.ctx, "chathub"));
	ev_check_init(&S.after_io, on_after_io);
	ev_check_start(S.loop, &S.after_io);
	ch_store_defer_wakeups();
	ev_prepare_init(&S.before_sleep, on_before_sleep);
	ev_prepare_start(S.loop, &S.before_sleep);
	ev_timer_init(&S.tick, on_tick, 1., 1.);
	ev_timer_start(S.loop, &S.tick);
	ev_signal_init(&S.sigterm, on_signal, SIGTERM);
	ev_signal_start(S.loop, &S.sigterm);
	ev_signal_init(&S.sigint, on_signal, SIGINT);
	ev_signal_start(S.loop, &S.sigint);
	char base[200];
	snprintf(base, sizeof base, "http://%s:%d", info_host(addr), port);
	CH_INFO("listening on %s", base);
	if (o->on_ready)
		o->on_ready(o->ready_arg, base);
	ev_run(S.loop, 0);
	ch_conns_fini();
	ch_peers_fini();
	ch_static_free();
	CH_INFO("stopped");
	return 0;
}
