/* listener.c — SO_REUSEPORT listening socket, accepts adopted by lws.
 *
 * Several chathub processes bind the same address and the kernel spreads new
 * connections over them. Each accepted socket goes through the http
 * protocol's FILTER_NETWORK_CONNECTION (the per-address and server-wide
 * connection limits, refusal while draining), exactly as one accepted by lws,
 * then lws adopts it as an HTTP connection.
 * Threading: network thread only.
 */
#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "net/http.h"

/* Accepts per readiness: bounded so a flood of handshakes cannot starve the
 * established connections of the same loop turn. */
#define ACCEPTS_PER_TURN 64

static struct {
	int fd;
	ev_io io;
	ev_timer pause; /* out of file descriptors: accept again a little later */
	struct ev_loop *loop;
	struct lws_vhost *vhost;
} L = {.fd = -1};

static int fill_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	char host[128];
	snprintf(host, sizeof host, "%s", addr);
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') { /* "[::1]" */
		memmove(host, host + 1, n - 2);
		host[n - 2] = 0;
	}
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

int ch_listener_open(const char *addr, int port, int *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (fill_addr(addr, port, &ss, &len)) {
		CH_ERROR("listen_reuse_port: \"%s\" is not a numeric address (or *, localhost)", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) || bind(fd, (struct sockaddr *)&ss, len) ||
	    listen(fd, SOMAXCONN)) {
		CH_ERROR("listen_reuse_port: cannot listen on %s:%d: %s", addr, port, strerror(errno));
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

/* One accepted socket: admitted (limits, draining) and adopted, or closed. */
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
		CH_WARN("listen_reuse_port: lws could not adopt an accepted connection");
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
				CH_WARN("listen_reuse_port: accept: %s; pausing accepts for 100 ms", strerror(errno));
				ev_io_stop(L.loop, &L.io);
				ev_timer_start(L.loop, &L.pause);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
				CH_WARN("listen_reuse_port: accept: %s", strerror(errno));
			}
			return;
		}
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
