/* listener.c — our own listening socket, accepts adopted by lws.
 *
 * Used for listen_reuse_port (several chathub processes bind the same
 * address and the kernel spreads new connections over them) and for
 * proxy_protocol_from (a trusted balancer's connection starts with a PROXY
 * header naming the client). Each accepted socket goes through the http
 * protocol's FILTER_NETWORK_CONNECTION (the per-address and server-wide
 * connection limits, refusal while draining), exactly as one accepted by lws,
 * under the client's address, then lws adopts it as an HTTP connection.
 *
 * A connection from a trusted balancer is first read here, without blocking,
 * by a small watcher of its own until its PROXY header is complete; only the
 * header's bytes are taken off the socket, lws reads the rest. No complete
 * header within PROXY_DEADLINE, or a malformed one, closes it. At most PENDING_MAX wait at
 * once: past that the oldest waiting is closed, so half-sent headers cannot
 * hold the balancer's other connections back.
 * Threading: network thread only.
 */
#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "net/http.h"
#include "net/peers.h"
#include "net/proxyproto.h"

/* Accepts per readiness: bounded so a flood of handshakes cannot starve the
 * established connections of the same loop turn. */
#define ACCEPTS_PER_TURN 64
/* A balancer writes its header at once: a connection still without one after
 * this long is not from a working balancer. */
#define PROXY_DEADLINE 2.0
#define PENDING_MAX 256

/* A trusted connection whose PROXY header is still being read. */
typedef struct pending {
	ev_io io;
	ev_timer deadline;
	int fd;
	struct sockaddr_storage from; /* the balancer */
	socklen_t flen;
	size_t len;
	char buf[CH_PROXYPROTO_MAX];
	struct pending *prev, *next; /* oldest first */
} pending;

static struct {
	int fd;
	ev_io io;
	ev_timer pause; /* out of file descriptors: accept again a little later */
	struct ev_loop *loop;
	struct lws_vhost *vhost;
	pending *head, *tail;
	int npending;
} L = {.fd = -1};

/* host is the listen address as server.c's parse_listen leaves it (an IPv6
 * address without its brackets). */
static int fill_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || !strcmp(host, "*") || !strcmp(host, "0.0.0.0")) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (!strcmp(host, "localhost") || inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		if (!strcmp(host, "localhost"))
			v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return 0;
	} else {
		return -1;
	}
	v4->sin_port = htons((uint16_t)port);
	*len = sizeof *v4;
	return 0;
}

int ch_listener_open(const char *addr, int port, int reuse_port, int *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (fill_addr(addr, port, &ss, &len)) {
		CH_ERROR("listen: \"%s\" is not a numeric address (or *, localhost)", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)) || bind(fd, (struct sockaddr *)&ss, len) ||
	    listen(fd, SOMAXCONN)) {
		CH_ERROR("cannot listen on %s:%d: %s", addr, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                             : ((struct sockaddr_in *)&ss)->sin_port);
	L.fd = fd;
	return 0;
}

int ch_listener_probe(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (fill_addr(addr, port, &ss, &len))
		return 0;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return 0;
	int rc = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) || bind(fd, (struct sockaddr *)&ss, len)) {
		CH_ERROR("cannot listen on %s:%d: %s", addr, port, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

/* One accepted socket from the client at from: admitted (limits, draining)
 * and adopted, or closed. */
static void admit(int cfd, const struct sockaddr_storage *from, socklen_t flen)
{
	struct lws_filter_network_conn_args args;
	memset(&args, 0, sizeof args);
	memcpy(&args.cli_addr, from, flen < sizeof args.cli_addr ? flen : sizeof args.cli_addr);
	args.clilen = flen;
	args.accept_fd = cfd;
	if (ch_http_callback(NULL, LWS_CALLBACK_FILTER_NETWORK_CONNECTION, &args, NULL, 0)) {
		close(cfd);
		return;
	}
	int one = 1;
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	lws_sock_file_fd_type d = {.sockfd = cfd};
	/* on failure lws closes the socket; its WSI_DESTROY (or none) settles the peer count */
	if (!lws_adopt_descriptor_vhost(L.vhost, LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP, d, NULL, NULL))
		CH_WARN("listener: lws could not adopt an accepted connection");
}

/* ---- the PROXY header of a trusted balancer's connection ------------------ */

static void pending_free(pending *p, int close_fd)
{
	ev_io_stop(L.loop, &p->io);
	ev_timer_stop(L.loop, &p->deadline);
	if (close_fd)
		close(p->fd);
	*(p->prev ? &p->prev->next : &L.head) = p->next;
	*(p->next ? &p->next->prev : &L.tail) = p->prev;
	L.npending--;
	free(p);
}

static void pending_drop(pending *p, const char *why)
{
	char ip[64];
	ch_peers_addr_text(&p->from, ip);
	CH_DEBUG("proxy_protocol_from: closed a connection from %s: %s", ip, why);
	pending_free(p, 1);
}

static void on_header_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	pending_drop((pending *)((char *)w - offsetof(pending, deadline)), "no PROXY header in time");
}

/* The header is peeked, and only its own bytes are taken off the socket:
 * what follows stays there for lws to read (no hand-over of bytes). Bytes of
 * an incomplete header are taken, so a level-triggered watcher does not spin
 * on them while the rest is awaited. */
static void on_header_read(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	pending *p = (pending *)w;
	ssize_t n = recv(p->fd, p->buf + p->len, sizeof p->buf - p->len, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		pending_drop(p, n ? strerror(errno) : "closed before its PROXY header");
		return;
	}
	ch_proxyproto_hdr h;
	int rc = ch_proxyproto_parse(p->buf, p->len + (size_t)n, &h);
	size_t take = rc == CH_PROXYPROTO_DONE ? h.consumed - p->len : (size_t)n;
	if (rc == CH_PROXYPROTO_BAD || (rc == CH_PROXYPROTO_MORE && p->len + take >= sizeof p->buf) ||
	    recv(p->fd, p->buf + p->len, take, 0) != (ssize_t)take) {
		pending_drop(p, "malformed or oversized PROXY header");
		return;
	}
	p->len += take;
	if (rc == CH_PROXYPROTO_MORE)
		return;
	/* LOCAL (a health check) and UNKNOWN keep the balancer's own address */
	struct sockaddr_storage from = h.has_addr ? h.addr : p->from;
	socklen_t flen = h.has_addr ? (socklen_t)sizeof h.addr : p->flen;
	int fd = p->fd;
	pending_free(p, 0);
	admit(fd, &from, flen);
}

static void pending_start(int cfd, const struct sockaddr_storage *from, socklen_t flen)
{
	if (L.npending >= PENDING_MAX)
		pending_drop(L.head, "too many connections waiting for their PROXY header");
	pending *p = ch_xcalloc(1, sizeof *p);
	p->fd = cfd;
	p->from = *from;
	p->flen = flen;
	ev_io_init(&p->io, on_header_read, cfd, EV_READ);
	ev_timer_init(&p->deadline, on_header_timeout, PROXY_DEADLINE, 0.);
	ev_io_start(L.loop, &p->io);
	ev_timer_start(L.loop, &p->deadline);
	p->prev = L.tail;
	*(L.tail ? &L.tail->next : &L.head) = p;
	L.tail = p;
	L.npending++;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)w, (void)revents;
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		int cfd = accept4(L.fd, (struct sockaddr *)&from, &flen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE) { /* level-triggered: would spin until an fd frees */
				CH_WARN("listener: accept: %s; pausing accepts for 100 ms", strerror(errno));
				ev_io_stop(L.loop, &L.io);
				ev_timer_start(L.loop, &L.pause);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
				CH_WARN("listener: accept: %s", strerror(errno));
			}
			return;
		}
		if (ch_proxyproto_trusted((struct sockaddr *)&from))
			pending_start(cfd, &from, flen);
		else
			admit(cfd, &from, flen);
	}
}

static void on_pause_end(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w, (void)revents;
	if (L.fd >= 0)
		ev_io_start(loop, &L.io);
}

void ch_listener_start(struct ev_loop *loop, struct lws_vhost *vhost)
{
	L.loop = loop;
	L.vhost = vhost;
	ev_io_init(&L.io, on_accept, L.fd, EV_READ);
	ev_timer_init(&L.pause, on_pause_end, 0.1, 0.);
	ev_io_start(loop, &L.io);
}

void ch_listener_close(void)
{
	while (L.head)
		pending_free(L.head, 1);
	if (L.fd < 0)
		return;
	if (L.loop) {
		ev_io_stop(L.loop, &L.io);
		ev_timer_stop(L.loop, &L.pause);
	}
	close(L.fd);
	L.fd = -1;
	L.loop = NULL;
}
