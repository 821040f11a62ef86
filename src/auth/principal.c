/* principal.c — principals and chat visibility. Pure; any thread. */
#include "auth/principal.h"

#include "chat/model.h"

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
