/* principal.c — principals and chat visibility. Pure; any thread. */
#include "auth/principal.h"

#include "chat/model.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

ch_principal ch_principal_from_claims(const ch_token_claims *c)
{
	ch_principal p = {.kind = c->kind, .company_id = c->company_id, .org_id = c->org_id, .epoch = c->epoch,
	                  .key_id = c->key_id};
	if (c->kind == CH_TOKEN_OPERATOR)
		p.operator_id = c->sub;
	else if (c->kind == CH_TOKEN_VISITOR)
		p.client_id = c->sub;
	return p;
}

int ch_principal_sees_chat(const ch_principal *p, int64_t company_id, int64_t org_id, int64_t client_id)
{
	if (p->company_id != company_id)
		return 0;
	switch (p->kind) {
	case CH_TOKEN_COMPANY: return 1;
	case CH_TOKEN_OPERATOR: return p->org_id == org_id;
	case CH_TOKEN_VISITOR: return p->org_id == org_id && p->client_id == client_id;
	default: return 0;
	}
}

int ch_principal_author(const ch_principal *p)
{
	return p->kind == CH_TOKEN_VISITOR ? CH_AUTHOR_CLIENT : CH_AUTHOR_OPERATOR;
}

/* HMAC of the principal's identity and the random part, as hex. */
static void conn_mac(const ch_token_key *k, const ch_principal *p, const char *rnd, char hex[25])
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "conn|%d|%lld|%lld|%lld|%lld|%lld|%.32s", (int)p->kind,
	                 (long long)p->company_id, (long long)p->org_id, (long long)p->operator_id,
	                 (long long)p->client_id, (long long)p->key_id, rnd);
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, k->bytes, k->len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (unsigned long long)n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 25, mac, 12);
}

void ch_principal_conn_token(const ch_token_key *k, const ch_principal *p, char out[CH_CONN_TOKEN_LEN + 1])
{
	unsigned char rnd[16];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(out, 33, rnd, sizeof rnd);
	out[32] = '.';
	conn_mac(k, p, out, out + 33);
}

int ch_principal_conn_token_valid(const ch_token_key *k, const ch_principal *p, const char *tok)
{
	if (!tok || strlen(tok) != CH_CONN_TOKEN_LEN || tok[32] != '.')
		return 0;
	char want[25];
	conn_mac(k, p, tok, want);
	return sodium_memcmp(want, tok + 33, 24) == 0;
}
