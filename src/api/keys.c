/* keys.c — company API keys: GET/POST /api/company/api-keys and DELETE
 * /api/company/api-keys/{id}, and the table every request's credential is
 * looked up in.
 *
 * A key is "chk_" + 43 base64url characters (256 random bits). Only its
 * SHA-256 is stored; the key itself is shown once, in the answer to its
 * creation. A key stands for a company token: a company principal with its
 * key id (ch_token_claims.key_id), accepted wherever a company token is, until
 * it is revoked.
 *
 * Every key of every company is held in memory (sorted by hash), so a key is
 * recognised on the network thread (admission, the hub's upgrade) without the
 * store: loaded at start, reloaded when the database's revocation counter
 * moves (another process created or revoked one), and updated at once by this
 * process's own creations and revocations. Requests that reach the store
 * check the key there again (ch_svc_principal_valid), so a revocation wins
 * over a table that is a poll behind.
 *
 * With `serve --demo` only, the integration guide's development token
 * (CH_DEV_TOKEN, "test-token-for-development") stands for an operator token
 * of the demo operator Alice, so that the guide's "Local Development" snippet
 * works as written against `make run`. Its claims (Alice's ids and token
 * epoch) are read with the key table and last a day from each use.
 * Threading: the table from any thread (one rwlock); handlers on API workers. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"

#define KEY_TAG "chk_"
#define KEY_LEN CH_API_KEY_LEN

typedef struct entry {
	unsigned char hash[CH_API_KEY_HASH];
	int64_t id, company_id;
} entry;

static struct {
	pthread_rwlock_t mu;
	entry *v;
	size_t n, cap;
} T = {.mu = PTHREAD_RWLOCK_INITIALIZER};

static struct {
	int on;                /* serve --demo */
	int found;             /* the demo operator exists and is Active */
	ch_token_claims cl;
} Dev; /* under T.mu */

static int by_hash(const void *a, const void *b) { return memcmp(a, b, CH_API_KEY_HASH); }

int ch_api_key_shaped(const char *t, size_t len)
{
	return len == KEY_LEN && !memcmp(t, KEY_TAG, 4) &&
	       strspn(t + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") >= KEY_LEN - 4;
}

static void hash_of(const char *t, size_t len, unsigned char out[CH_API_KEY_HASH])
{
	crypto_hash_sha256(out, (const unsigned char *)t, len);
}

ch_err ch_api_key_verify(const char *t, size_t len, ch_token_claims *out)
{
	memset(out, 0, sizeof *out);
	if (!ch_api_key_shaped(t, len))
		return CH_ERR_NO_TOKEN;
	unsigned char h[CH_API_KEY_HASH];
	hash_of(t, len, h);
	pthread_rwlock_rdlock(&T.mu);
	const entry *e = T.n ? bsearch(h, T.v, T.n, sizeof *T.v, by_hash) : NULL;
	if (e)
		*out = (ch_token_claims){.kind = CH_TOKEN_COMPANY, .sub = e->company_id, .company_id = e->company_id,
		                         .key_id = e->id};
	pthread_rwlock_unlock(&T.mu);
	return e ? CH_OK : CH_ERR_NO_TOKEN;
}

ch_err ch_api_credential_verify(const ch_token_key *key, const char *t, size_t len, int64_t now_s,
                                ch_token_claims *out)
{
	if (ch_api_key_shaped(t, len))
		return ch_api_key_verify(t, len, out);
	if (len == strlen(CH_DEV_TOKEN) && !memcmp(t, CH_DEV_TOKEN, len)) {
		pthread_rwlock_rdlock(&T.mu);
		int ok = Dev.on && Dev.found;
		if (ok) {
			*out = Dev.cl;
			out->iat = now_s;
			out->exp = now_s + 86400;
		}
		pthread_rwlock_unlock(&T.mu);
		if (ok)
			return CH_OK;
	}
	return ch_token_verify(key, t, len, CH_TOKEN_ANY, now_s, out);
}

/* ---- the table -------------------------------------------------------------- */

static void put_locked(const unsigned char hash[CH_API_KEY_HASH], int64_t id, int64_t company_id)
{
	if (T.n == T.cap) {
		T.cap = T.cap ? T.cap * 2 : 64;
		T.v = ch_xrealloc(T.v, T.cap * sizeof *T.v);
	}
	memcpy(T.v[T.n].hash, hash, CH_API_KEY_HASH);
	T.v[T.n].id = id;
	T.v[T.n].company_id = company_id;
	T.n++;
	qsort(T.v, T.n, sizeof *T.v, by_hash);
}

static void remove_locked(int64_t company_id, int64_t id)
{
	for (size_t i = 0; i < T.n; i++)
		if (T.v[i].id == id && T.v[i].company_id == company_id) {
			memmove(&T.v[i], &T.v[i + 1], (T.n - i - 1) * sizeof *T.v);
			T.n--;
			return;
		}
}

typedef struct loaded {
	entry *v;
	size_t n, cap;
	int dev_found;
	ch_operator_row dev_op, any_op;
} loaded;

static void add_loaded(void *ctx, const ch_api_key_row *r)
{
	loaded *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = ch_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	memcpy(l->v[l->n].hash, r->hash, CH_API_KEY_HASH);
	l->v[l->n].id = r->id;
	l->v[l->n].company_id = r->company_id;
	l->n++;
}

static void first_org(void *ctx, const ch_org_row *o)
{
	int64_t *id = ctx;
	if (!*id)
		*id = o->id;
}

/* Alice (externalId demo-alice) if she is Active, else the first Active operator. */
static void pick_dev(void *ctx, const ch_operator_row *op)
{
	loaded *l = ctx;
	if (op->status != CH_OPERATOR_ACTIVE)
		return;
	if (op->has_external_id && !strcmp(op->external_id, "demo-alice"))
		l->dev_op = *op;
	else if (!l->any_op.id)
		l->any_op = *op;
}

/* The demo operator the development token stands for (none is not an error). */
static ch_err load_dev(ch_svc_tx *tx, loaded *l)
{
	ch_company_row co;
	int64_t org = 0;
	ch_err e = ch_svc_company_of_login(tx, CH_DEMO_LOGIN, &co);
	if (!e)
		e = ch_svc_orgs(tx, co.id, first_org, &org);
	if (!e && org)
		e = ch_svc_operators(tx, co.id, org, 0, pick_dev, l);
	if (!l->dev_op.id)
		l->dev_op = l->any_op;
	l->dev_found = l->dev_op.id != 0;
	return e == CH_ERR_NOT_FOUND ? CH_OK : e;
}

static ch_err load_tx(ch_svc_tx *tx, void *arg)
{
	ch_err e = ch_svc_api_keys_all(tx, add_loaded, arg);
	int dev;
	pthread_rwlock_rdlock(&T.mu);
	dev = Dev.on;
	pthread_rwlock_unlock(&T.mu);
	return e || !dev ? e : load_dev(tx, arg);
}

ch_err ch_api_dev_token_enable(void)
{
	pthread_rwlock_wrlock(&T.mu);
	Dev.on = 1;
	pthread_rwlock_unlock(&T.mu);
	ch_err e = ch_api_keys_reload();
	pthread_rwlock_rdlock(&T.mu);
	int found = Dev.found;
	ch_token_claims cl = Dev.cl;
	pthread_rwlock_unlock(&T.mu);
	if (found)
		CH_WARN("--demo: the development token \"%s\" is accepted as an operator token of the demo operator "
		        "(operator %lld); never use --demo on a server that holds real conversations",
		        CH_DEV_TOKEN, (long long)cl.sub);
	else if (!e)
		CH_WARN("--demo: no Active demo operator, so the development token \"%s\" opens nothing", CH_DEV_TOKEN);
	return e;
}

ch_err ch_api_keys_reload(void)
{
	loaded l = {0};
	ch_err e = ch_svc_read(load_tx, &l);
	if (e) {
		free(l.v);
		return e;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, by_hash);
	pthread_rwlock_wrlock(&T.mu);
	entry *old = T.v;
	T.v = l.v;
	T.n = l.n;
	T.cap = l.cap;
	Dev.found = l.dev_found;
	if (l.dev_found)
		Dev.cl = (ch_token_claims){.kind = CH_TOKEN_OPERATOR, .sub = l.dev_op.id, .company_id = l.dev_op.company_id,
		                           .org_id = l.dev_op.organization_id, .epoch = l.dev_op.token_epoch};
	pthread_rwlock_unlock(&T.mu);
	free(old);
	return CH_OK;
}

/* ---- handlers -------------------------------------------------------------------- */

static json_t *key_json(const ch_api_key_row *r)
{
	char ts[25];
	ch_iso8601_format(r->created_at, ts);
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)r->id, "name", r->name, "prefix", r->prefix,
	                 "createdAt", ts);
}

static void add_key(void *ctx, const ch_api_key_row *r) { json_array_append_new(ctx, key_json(r)); }

/* Keys are managed with a company token (a login), never with a key: a leaked
 * key must not be able to mint keys that outlive its revocation. */
static int key_in_hand(ch_ctx *c)
{
	if (!c->who.key_id)
		return 0;
	ch_ctx_error(c, CH_ERR_WRONG_KIND, "API keys are managed with a company token from POST /api/company/get-token, "
	                                   "not with an API key");
	return 1;
}

void ch_h_api_key_list(ch_ctx *c)
{
	if (key_in_hand(c))
		return;
	json_t *arr = json_array();
	if (ch_ctx_store_failed(c, ch_svc_api_keys(c->tx, c->who.company_id, add_key, arr), "api key")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

void ch_api_key_new(char text[CH_API_KEY_LEN + 1], unsigned char hash[CH_API_KEY_HASH],
                    char prefix[CH_API_KEY_PREFIX + 1])
{
	unsigned char raw[32];
	ch_random_bytes(raw, sizeof raw);
	memcpy(text, KEY_TAG, 4);
	sodium_bin2base64(text + 4, KEY_LEN - 4 + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	hash_of(text, KEY_LEN, hash);
	snprintf(prefix, CH_API_KEY_PREFIX + 1, "%.*s", CH_API_KEY_PREFIX, text);
}

void ch_h_api_key_create(ch_ctx *c)
{
	ch_svc_key k = {0};
	if (key_in_hand(c) || ch_body_object(c) || ch_get_str(c, c->body, "", "name", 1, 1, 128, &k.name))
		return;
	char text[KEY_LEN + 1];
	ch_api_key_new(text, k.hash, k.prefix);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_api_key_create(c->who.company_id, &k, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	int64_t id = r.err ? 0 : json_integer_value(json_object_get(r.result, "id"));
	json_decref(r.result);
	if (r.err) {
		sodium_memzero(text, sizeof text);
		ch_ctx_error(c, r.err, "%s", r.message);
		return;
	}
	pthread_rwlock_wrlock(&T.mu);
	put_locked(k.hash, id, c->who.company_id); /* usable as soon as it is answered */
	pthread_rwlock_unlock(&T.mu);
	ch_api_key_row row = {.id = id, .created_at = c->now_ms};
	snprintf(row.name, sizeof row.name, "%s", k.name);
	snprintf(row.prefix, sizeof row.prefix, "%s", k.prefix);
	json_t *j = key_json(&row);
	json_object_set_new(j, "key", json_string(text));
	sodium_memzero(text, sizeof text);
	ch_ctx_json(c, 201, j);
}

void ch_h_api_key_revoke(ch_ctx *c)
{
	if (key_in_hand(c))
		return;
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "API key not found");
		return;
	}
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_api_key_revoke(c->who.company_id, c->path_id, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	json_decref(r.result);
	if (r.err) {
		ch_ctx_error(c, r.err, "%s", r.message);
		return;
	}
	pthread_rwlock_wrlock(&T.mu);
	remove_locked(c->who.company_id, c->path_id);
	pthread_rwlock_unlock(&T.mu);
	ch_ctx_text(c, 200, "OK", 2);
}
