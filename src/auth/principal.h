/* principal.h — who is calling: a company, an operator or a visitor, as
 * proven by a verified token, and what each may see.
 * Threading: pure; any thread. */
#ifndef CH_AUTH_PRINCIPAL_H
#define CH_AUTH_PRINCIPAL_H

#include <stdint.h>

#include "auth/token.h"

typedef struct ch_principal {
	ch_token_kind kind;
	int64_t company_id;
	int64_t org_id;      /* operator, visitor */
	int64_t operator_id; /* operator */
	int64_t client_id;   /* visitor */
	int64_t epoch;       /* company and operator tokens: the revocation epoch they carry */
	int64_t key_id;      /* a company API key instead of a company token (0 = a token) */
} ch_principal;

/* The principal named by verified claims. */
ch_principal ch_principal_from_claims(const ch_token_claims *c);
/* Whether the principal may see a chat of (company, org, client). */
int ch_principal_sees_chat(const ch_principal *p, int64_t company_id, int64_t org_id, int64_t client_id);
/* The author value of messages this principal writes (0 operator side, 1 client). */
int ch_principal_author(const ch_principal *p);

/* A negotiated hub connection's id that every process sharing the key can
 * check: 32 random hex characters, '.', then 24 hex characters of
 * HMAC-SHA256(key, the principal and the random part). A WebSocket naming it
 * may then reach another process of a cluster than the one that negotiated
 * (behind a balancer without affinity), and nobody can make one up for
 * another principal. */
#define CH_CONN_TOKEN_LEN 57
void ch_principal_conn_token(const ch_token_key *k, const ch_principal *p, char out[CH_CONN_TOKEN_LEN + 1]);
/* 1 when tok is such an id, made with this key for this principal. */
int ch_principal_conn_token_valid(const ch_token_key *k, const ch_principal *p, const char *tok);

#endif
