/* libFuzzer target: a hub connection's life from its open through the
 * handshake, on a real store — the bytes that arrive while the connection's
 * check is still running (kept, then fed), the handshake (good, bad, or for
 * a principal the check refuses), the records after it (invocations that
 * reach the services and the store, pings, closes, garbage), the in-flight cap
 * (held input, pause, resume) and the server closing it. The input's first
 * byte picks the principal (a visitor, an operator, an operator whose token
 * is revoked, a client that does not exist); the next two cut the rest into
 * three deliveries: one before the check's answer, two after. Everything the
 * workers and the store writer hand back is run on this thread, as the network
 * thread would. Nothing may crash, leak, or leave the hub in a state it
 * cannot free. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/workq.h"
#include "fuzz_store.h"
#include "hub/hub.h"

static ch_store *store;
static ch_workq *readers;
static int64_t company_id, org_id, operator_id, client_id, operator_epoch;

/* ---- the "network thread": callbacks posted by workers, run here ---------- */

typedef struct posted {
	void (*fn)(void *);
	void *arg;
	struct posted *next;
} posted;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static posted *head, *tail;

static void post(void (*fn)(void *), void *arg)
{
	posted *p = malloc(sizeof *p);
	*p = (posted){fn, arg, NULL};
	pthread_mutex_lock(&mu);
	if (tail)
		tail->next = p;
	else
		head = p;
	tail = p;
	pthread_mutex_unlock(&mu);
}

static int run_posted(void)
{
	pthread_mutex_lock(&mu);
	posted *list = head;
	head = tail = NULL;
	pthread_mutex_unlock(&mu);
	int n = 0;
	for (posted *p = list, *next; p; p = next) {
		next = p->next;
		p->fn(p->arg);
		free(p);
		n++;
	}
	return n;
}

static void deliver(void *arg) { ch_hub_deliver(arg); }
static void sink(ch_event *list) { post(deliver, list); }

/* ---- the transport ------------------------------------------------------------ */

typedef struct fake {
	ch_hub_conn *c;
	int closed, paused, want;
} fake;

static void want_write(void *t) { ((fake *)t)->want = 1; }
static void tclose(void *t, int code, const char *why)
{
	(void)code, (void)why;
	((fake *)t)->closed = 1;
}
static void tpause(void *t, int on) { ((fake *)t)->paused = on; }
static const ch_hub_transport ops = {want_write, tclose, tpause};

/* Writes whatever is queued (as WRITEABLE would). */
static void write_all(fake *f)
{
	size_t len, n = 0;
	while (f->c && ch_hub_conn_peek(f->c, n, &len))
		n++;
	if (f->c && n)
		ch_hub_conn_pop(f->c, n);
	f->want = 0;
}

static int busy(void)
{
	ch_store_stats st;
	ch_store_stats_get(store, &st);
	return ch_workq_pending(readers) || st.queue_len;
}

/* Runs callbacks and writes until nothing has happened for a millisecond (bounded). */
static void settle(fake *f)
{
	int64_t end = ch_mono_ms() + 500, quiet_since = ch_mono_ms();
	while (ch_mono_ms() < end) {
		int n = run_posted();
		write_all(f);
		if (n || busy())
			quiet_since = ch_mono_ms();
		else if (ch_mono_ms() - quiet_since >= 1)
			return;
		nanosleep(&(struct timespec){0, 200000}, NULL);
	}
}

/* ---- setup ----------------------------------------------------------------------- */

static ch_err seed(ch_store_tx *tx, void *arg)
{
	(void)arg;
	ch_operator_row op;
	ch_client_row cl;
	ch_err e = ch_store_company_create(tx, "fuzz", "Fuzz", "$argon2id$v=19$m=8,t=1,p=1$x$y", &company_id);
	if (!e)
		e = ch_store_org_create(tx, company_id, "Org", "00000000-0000-4000-8000-0000000000b0", &org_id);
	if (!e)
		e = ch_store_operator_upsert(tx, company_id, org_id, "Op", NULL, &op, NULL);
	if (!e)
		e = ch_store_client_upsert(tx, company_id, org_id, 3, NULL, "Visitor", NULL, NULL, &cl);
	operator_id = op.id;
	operator_epoch = op.token_epoch;
	client_id = cl.id;
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	store = fuzz_store_open(seed, NULL);
	readers = ch_workq_start("fuzz", 1, 64);
	ch_bus_set_sink(sink);
	/* a small in-flight cap and budget, so the held-input and refusal paths run */
	ch_hub_init(&(ch_hub_opts){.readers = readers, .post = post, .headroom = 16, .ping_ms = 15000,
	                           .idle_ms = 30000, .offline_grace_ms = 120000, .handshake_ms = 10000,
	                           .queue_max_bytes = 1 << 20, .stall_ms = 10000, .rate = 50, .burst = 12,
	                           .principal_rate = 100, .principal_burst = 24, .max_in_flight = 3});
	return 0;
}

static ch_principal principal_of(uint8_t b)
{
	switch (b % 4) {
	case 1:
		return (ch_principal){.kind = CH_TOKEN_OPERATOR, .company_id = company_id, .org_id = org_id,
		                      .operator_id = operator_id, .epoch = operator_epoch};
	case 2: /* a token of an older epoch: the check refuses it */
		return (ch_principal){.kind = CH_TOKEN_OPERATOR, .company_id = company_id, .org_id = org_id,
		                      .operator_id = operator_id, .epoch = operator_epoch + 7};
	case 3: /* a client that does not exist */
		return (ch_principal){.kind = CH_TOKEN_VISITOR, .company_id = company_id, .org_id = org_id,
		                      .client_id = client_id + 1000};
	default:
		return (ch_principal){.kind = CH_TOKEN_VISITOR, .company_id = company_id, .org_id = org_id,
		                      .client_id = client_id};
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	ch_principal p = principal_of(data[0]);
	const char *rest = (const char *)data + 3;
	size_t n = size - 3, cut1 = n ? data[1] % (n + 1) : 0, cut2 = cut1 + (n - cut1 ? data[2] % (n - cut1 + 1) : 0);
	fake f = {0};
	f.c = ch_hub_conn_open(&p, 4000000000LL, NULL, "http://127.0.0.1:8080", &f, &ops);
	if (cut1)
		ch_hub_conn_receive(f.c, rest, cut1); /* while the check runs: kept */
	settle(&f);                               /* the check's answer, then what was kept */
	if (!f.closed && cut2 > cut1)
		ch_hub_conn_receive(f.c, rest + cut1, cut2 - cut1);
	settle(&f);
	if (!f.closed && n > cut2)
		ch_hub_conn_receive(f.c, rest + cut2, n - cut2);
	settle(&f);
	ch_hub_conn_gone(f.c); /* the transport ends, whatever state it was in */
	f.c = NULL;
	settle(&f); /* completions for a connection that is gone are dropped */
	return 0;
}
