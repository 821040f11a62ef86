/* The frame-header follower behind the interposed recv: masked frames of every
 * length class pass, split anywhere; an unmasked frame or RSV bits are caught;
 * only the network thread's reads are followed, and an unwatched socket's
 * violation is forgotten. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/wsguard.h"

/* Each test's own thread plays the network thread. */
static void as_network_thread(void) { ch_wsguard_bind_thread(); }
TestSuite(wsguard, .init = as_network_thread);

static size_t frame(uint8_t *out, int masked, int rsv, size_t len)
{
	size_t n = 0;
	out[n++] = (uint8_t)(0x80 | (rsv << 4) | 1);
	uint8_t m = masked ? 0x80 : 0;
	if (len < 126) {
		out[n++] = (uint8_t)(m | len);
	} else if (len < 65536) {
		out[n++] = m | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = m | 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (masked)
		for (int i = 0; i < 4; i++)
			out[n++] = (uint8_t)(0x11 * (i + 1));
	memset(out + n, 'x', len);
	return n + len;
}

/* Sends bytes through a socket pair and receives them in chunks of step. */
static int run(const uint8_t *bytes, size_t len, size_t step)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ch_wsguard_watch(sv[1], (void *)1);
	uint8_t buf[4096];
	size_t sent = 0;
	while (sent < len) {
		size_t n = len - sent < step ? len - sent : step;
		cr_assert_eq(write(sv[0], bytes + sent, n), (ssize_t)n);
		size_t got = 0;
		while (got < n) {
			ssize_t r = recv(sv[1], buf, n - got < sizeof buf ? n - got : sizeof buf, 0);
			cr_assert(r > 0);
			got += (size_t)r;
		}
		sent += n;
	}
	int v = ch_wsguard_violated(sv[1]);
	ch_wsguard_unwatch(sv[1]);
	close(sv[0]);
	close(sv[1]);
	return v;
}

static uint8_t stream[300000];

Test(wsguard, masked_frames_of_every_size_pass_split_anywhere)
{
	size_t n = 0;
	size_t sizes[] = {0, 1, 125, 126, 1000, 65535, 65536, 70000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		n += frame(stream + n, 1, 0, sizes[i]);
	size_t steps[] = {1, 2, 3, 7, 13, 4096, n};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
		cr_assert_eq(run(stream, n, steps[s]), 0, "step %zu", steps[s]);
}

Test(wsguard, an_unmasked_frame_after_good_ones_is_caught)
{
	size_t n = frame(stream, 1, 0, 300);
	n += frame(stream + n, 0, 0, 5);
	for (size_t step = 1; step < 20; step++)
		cr_assert_eq(run(stream, n, step), 1, "step %zu", step);
}

Test(wsguard, rsv_bits_are_caught)
{
	size_t n = frame(stream, 1, 4, 3);
	cr_assert_eq(run(stream, n, 1), 1);
	cr_assert_eq(run(stream, n, n), 1);
}

Test(wsguard, unwatched_sockets_are_left_alone)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	uint8_t b[8];
	size_t n = frame(b, 0, 0, 2);
	cr_assert_eq(write(sv[0], b, n), (ssize_t)n);
	cr_assert_eq(recv(sv[1], b, sizeof b, 0), (ssize_t)n);
	cr_assert_eq(ch_wsguard_violated(sv[1]), 0);
	close(sv[0]);
	close(sv[1]);
}

/* recv on another thread (libpq's workers, the store writer) is never
 * followed, even on a number the network thread watches. */
static void *read_unmasked(void *arg)
{
	int *sv = arg;
	uint8_t b[8];
	size_t n = frame(b, 0, 0, 2);
	for (int i = 0; i < 100; i++) {
		if (write(sv[0], b, n) != (ssize_t)n || recv(sv[1], b, sizeof b, 0) != (ssize_t)n)
			return (void *)1;
	}
	return NULL;
}

Test(wsguard, other_threads_are_not_followed)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ch_wsguard_watch(sv[1], (void *)1);
	pthread_t t;
	void *rc;
	cr_assert_eq(pthread_create(&t, NULL, read_unmasked, sv), 0);
	cr_assert_eq(pthread_join(t, &rc), 0);
	cr_assert_null(rc);
	cr_assert_eq(ch_wsguard_violated(sv[1]), 0);
	cr_assert_eq(ch_wsguard_pending(), 0);
	ch_wsguard_unwatch(sv[1]);
	close(sv[0]);
	close(sv[1]);
}

typedef struct reader {
	int sv[2];
	volatile int stop;
	long reads;
	int failed;
} reader;

static void *read_until_stopped(void *arg)
{
	reader *r = arg;
	uint8_t b[64];
	size_t n = frame(b, 0, 0, 20);
	while (!r->stop) {
		if (write(r->sv[0], b, n) != (ssize_t)n || recv(r->sv[1], b, sizeof b, 0) != (ssize_t)n) {
			r->failed = 1;
			return NULL;
		}
		r->reads++;
	}
	return NULL;
}

/* A second thread reads its own socket with recv while the network thread
 * watches and unwatches thousands of numbers (its socket's among them) and
 * the table grows under it: nothing is followed on that thread, nothing is
 * read from the table there (ASan would see a read of the freed table). */
Test(wsguard, a_second_thread_reads_while_the_table_changes)
{
	reader r = {0};
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, r.sv), 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, read_until_stopped, &r), 0);
	for (int round = 0; round < 20; round++) {
		int top = 2048 << (round % 8); /* regrows the table while the reader runs */
		for (int fd = 0; fd < top; fd += 7)
			ch_wsguard_watch(fd, (void *)1);
		ch_wsguard_watch(r.sv[1], (void *)1);
		for (int fd = 0; fd < top; fd += 7)
			ch_wsguard_unwatch(fd);
		ch_wsguard_unwatch(r.sv[1]);
	}
	r.stop = 1;
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(r.failed, 0);
	cr_assert_gt(r.reads, 0);
	cr_assert_eq(ch_wsguard_watched(), 0);
	cr_assert_eq(ch_wsguard_pending(), 0);
	close(r.sv[0]);
	close(r.sv[1]);
}

static int closes, ends;
static void on_close(void *wsi) { closes++; }
static void on_end(void *wsi) { ends++; }

/* A connection that violated and then closed before the sweep: its number may
 * already be another socket's, so nothing is done to the old wsi. */
Test(wsguard, an_unwatched_violation_is_not_swept)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ch_wsguard_watch(sv[1], (void *)1);
	uint8_t b[8];
	size_t n = frame(b, 0, 0, 2);
	cr_assert_eq(write(sv[0], b, n), (ssize_t)n);
	cr_assert_eq(recv(sv[1], b, sizeof b, 0), (ssize_t)n);
	cr_assert_eq(ch_wsguard_violated(sv[1]), 1);
	cr_assert_eq(ch_wsguard_pending(), 1);
	ch_wsguard_unwatch(sv[1]);
	cr_assert_eq(ch_wsguard_violated(sv[1]), 0);
	ch_wsguard_sweep(0, on_close, on_end);
	ch_wsguard_sweep(5000, on_close, on_end);
	cr_assert_eq(closes, 0);
	cr_assert_eq(ends, 0);
	cr_assert_eq(ch_wsguard_pending(), 0);
	cr_assert_eq(ch_wsguard_watched(), 0);
	close(sv[0]);
	close(sv[1]);
}
