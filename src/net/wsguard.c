/* wsguard.c — frame-header follower behind the interposed recv(2); see
 * wsguard.h for why it exists. Network thread only: the table is read and
 * written by the network thread alone (recv on any other thread returns
 * before looking at it), so it needs no lock. */
#include "net/wsguard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/buf.h"

typedef struct follower {
	void *wsi;
	uint8_t on, violated;
	int64_t deadline_ms; /* when the sweep stops waiting for a clean close */
	uint8_t hdr[14]; /* the header being read */
	uint8_t have;    /* bytes of it so far */
	uint64_t skip;   /* payload bytes still to pass */
} follower;

static follower *fds;
static int nfds;
static int nwatched;
static int pending[64]; /* violations not yet acted on (the sweep ends them) */
static int npending;
/* Set on the network thread only: recv on any other thread (libpq's workers,
 * the store writer) neither reads nor follows the table. */
static __thread int net_thread;

void ch_wsguard_bind_thread(void) { net_thread = 1; }
int ch_wsguard_watched(void) { return nwatched; }

void ch_wsguard_watch(int fd, void *wsi)
{
	if (fd < 0)
		return;
	if (fd >= nfds) {
		int n = nfds ? nfds : 1024;
		while (n <= fd)
			n *= 2;
		fds = ch_xrealloc(fds, (size_t)n * sizeof *fds);
		memset(fds + nfds, 0, (size_t)(n - nfds) * sizeof *fds);
		nfds = n;
	}
	nwatched += !fds[fd].on;
	memset(&fds[fd], 0, sizeof fds[fd]);
	fds[fd].on = 1;
	fds[fd].wsi = wsi;
}

void ch_wsguard_unwatch(int fd)
{
	if (fd < 0 || fd >= nfds || !fds[fd].on)
		return;
	nwatched--;
	memset(&fds[fd], 0, sizeof fds[fd]); /* the sweep skips its pending entry */
}

int ch_wsguard_violated(int fd) { return fd >= 0 && fd < nfds && fds[fd].violated; }
int ch_wsguard_pending(void) { return npending; }

/* Header length once its first two bytes are known. */
static unsigned header_len(const uint8_t *h)
{
	unsigned n = 2, len7 = h[1] & 0x7f;
	n += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	return n + ((h[1] & 0x80) ? 4 : 0);
}

static uint64_t payload_len(const uint8_t *h)
{
	unsigned len7 = h[1] & 0x7f;
	if (len7 < 126)
		return len7;
	uint64_t v = 0;
	for (unsigned i = 0; i < (len7 == 126 ? 2u : 8u); i++)
		v = (v << 8) | h[2 + i];
	return v;
}

/* RFC 6455 5.2: no extension is ever negotiated here, so RSV bits must be 0;
 * and a client frame must be masked (5.1). */
static int bad_header(const uint8_t *h) { return (h[0] & 0x70) || !(h[1] & 0x80); }

static void follow(int fd, follower *f, const uint8_t *p, size_t n)
{
	while (n && !f->violated) {
		if (f->skip) {
			uint64_t k = f->skip < n ? f->skip : n;
			f->skip -= k;
			p += k;
			n -= (size_t)k;
			continue;
		}
		f->hdr[f->have++] = *p++;
		n--;
		if (f->have < 2 || f->have < header_len(f->hdr))
			continue;
		if (bad_header(f->hdr)) {
			f->violated = 1;
			if (npending < (int)(sizeof pending / sizeof pending[0]))
				pending[npending++] = fd;
		}
		f->skip = payload_len(f->hdr);
		f->have = 0;
	}
}

/* The interposed recv: the kernel's answer, unchanged. The thread test comes
 * first: on another thread nfds and fds may be changing under it. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t r = (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
	if (r > 0 && net_thread && fd >= 0 && fd < nfds && fds[fd].on && !(flags & MSG_PEEK))
		follow(fd, &fds[fd], buf, (size_t)r);
	return r;
}

void ch_wsguard_sweep(int64_t now_ms, void (*close)(void *wsi), void (*end)(void *wsi))
{
	int keep = 0;
	for (int i = 0; i < npending; i++) {
		int fd = pending[i];
		follower *f = fd < nfds ? &fds[fd] : NULL;
		if (!f || !f->on || !f->violated || !f->wsi)
			continue; /* closed meanwhile */
		if (!f->deadline_ms) { /* first: a proper close (1002) */
			f->deadline_ms = now_ms + 1000;
			close(f->wsi);
		} else if (now_ms >= f->deadline_ms) { /* lws is stuck waiting for the client */
			end(f->wsi);
			continue;
		}
		pending[keep++] = fd;
	}
	npending = keep;
}
