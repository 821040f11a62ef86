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

#endif
