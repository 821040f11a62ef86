/* principals.c — is the principal a verified token names still valid? With a
 * cache in front of the store, so that requests that need nothing else
 * (validate-token) can be answered on the network thread without a store
 * transaction (ch_api_try_inline).
 *
 * What is cached: clients that exist (never deleted) and whether they were
 * erased, companies' token epoch, and operators' company, status and token
 * epoch. An erased client stays erased, so that entry is final; a client not
 * erased is valid, like a company or operator entry, while the generation
 * has not moved (an erasure moves it). Rows that do not exist are
 * not cached (the admin CLI may create them at any time). A company or
 * operator entry is valid while ch_svc_principals_gen() still has the value
 * it had before the row was read: every committed write of this process that
 * may revoke a token moves it before the writer reports that write done, so
 * no token is accepted from the cache after its revocation was acknowledged;
 * a revocation committed by another process (the admin CLI) moves it when the
 * server's poll of the database's revocation counter sees it (within a second).
 * Threading: any thread; one rwlock. */
#include <pthread.h>
#include <stdlib.h>

#include "api/internal.h"
#include "core/idmap.h"

#define CACHE_MAX 200000 /* entries per map; past it the map starts over */

typedef struct entry {
	int64_t company_id;
	int status;
	int64_t epoch;
	uint64_t gen;
} entry;

static struct {
	pthread_rwlock_t mu;
	ch_idmap maps[CH_TOKEN_VISITOR + 1]; /* by token kind: company, operator, visitor (client) */
} g = {.mu = PTHREAD_RWLOCK_INITIALIZER};

static int lookup(ch_token_kind kind, int64_t id, entry *out)
{
	pthread_rwlock_rdlock(&g.mu);
	const entry *e = ch_idmap_get(&g.maps[kind], id);
	if (e)
		*out = *e;
	pthread_rwlock_unlock(&g.mu);
	return e != NULL;
}

static void remember(ch_token_kind kind, int64_t id, entry val)
{
	entry *e = ch_xmalloc(sizeof *e);
	*e = val;
	pthread_rwlock_wrlock(&g.mu);
	if (g.maps[kind].used >= CACHE_MAX)
		ch_idmap_free(&g.maps[kind], free);
	free(ch_idmap_put(&g.maps[kind], id, e));
	pthread_rwlock_unlock(&g.mu);
}

void ch_api_principals_reset(void)
{
	pthread_rwlock_wrlock(&g.mu);
	for (size_t i = 0; i < sizeof g.maps / sizeof g.maps[0]; i++)
		ch_idmap_free(&g.maps[i], free);
	pthread_rwlock_unlock(&g.mu);
}

/* The verdict on a cached or freshly read row. */
static ch_err verdict(const ch_token_claims *cl, const entry *e)
{
	if (e->company_id != cl->company_id)
		return cl->kind == CH_TOKEN_OPERATOR ? CH_ERR_TOKEN_REVOKED : CH_ERR_NO_TOKEN;
	if (cl->kind == CH_TOKEN_OPERATOR && (e->status != CH_OPERATOR_ACTIVE || e->epoch != cl->epoch))
		return CH_ERR_TOKEN_REVOKED;
	if (cl->kind == CH_TOKEN_COMPANY && e->epoch != cl->epoch)
		return CH_ERR_TOKEN_REVOKED;
	if (cl->kind == CH_TOKEN_VISITOR && e->status) /* erased */
		return CH_ERR_TOKEN_REVOKED;
	return CH_OK;
}

static ch_err read_row(ch_ctx *c, const ch_token_claims *cl, entry *e)
{
	ch_err err;
	if (cl->kind == CH_TOKEN_COMPANY) {
		ch_company_row co;
		err = ch_svc_company_get(c->tx, cl->company_id, &co);
		*e = (entry){.company_id = co.id, .epoch = co.token_epoch};
	} else if (cl->kind == CH_TOKEN_OPERATOR) {
		ch_operator_row op;
		err = ch_svc_operator_get(c->tx, cl->company_id, cl->sub, &op);
		*e = (entry){.company_id = op.company_id, .status = op.status, .epoch = op.token_epoch};
	} else {
		ch_client_row cr;
		err = ch_svc_client_get(c->tx, cl->company_id, cl->sub, &cr);
		*e = (entry){.company_id = cr.company_id, .status = cr.erased_at != 0};
	}
	return err;
}

/* An API key: the table knew it (verify); a transaction asks the store again. */
static ch_err key_check(ch_ctx *c, const ch_token_claims *cl)
{
	if (!c->tx)
		return CH_OK;
	ch_api_key_row k;
	ch_err e = ch_svc_api_key_get(c->tx, cl->company_id, cl->key_id, &k);
	return e == CH_ERR_NOT_FOUND ? CH_ERR_TOKEN_REVOKED : e;
}

ch_err ch_api_principal_check(ch_ctx *c, const ch_token_claims *cl)
{
	if (cl->key_id)
		return key_check(c, cl);
	int64_t key = cl->kind == CH_TOKEN_COMPANY ? cl->company_id : cl->sub;
	if (cl->kind == CH_TOKEN_COMPANY && cl->sub != cl->company_id)
		return CH_ERR_NO_TOKEN;
	entry e;
	uint64_t now_gen = ch_svc_principals_gen();
	if (lookup(cl->kind, key, &e) && ((cl->kind == CH_TOKEN_VISITOR && e.status) || e.gen == now_gen))
		return verdict(cl, &e);
	if (!c->tx) { /* on the network thread: only the store can tell */
		c->need_store = 1;
		return CH_ERR_INTERNAL;
	}
	ch_err err = read_row(c, cl, &e);
	if (err == CH_ERR_NOT_FOUND)
		return cl->kind == CH_TOKEN_OPERATOR ? CH_ERR_TOKEN_REVOKED : CH_ERR_NO_TOKEN;
	if (err)
		return err;
	e.gen = c->gen0; /* the value before this transaction began */
	remember(cl->kind, key, e);
	return verdict(cl, &e);
}
