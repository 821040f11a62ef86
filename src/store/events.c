/* events.c — the organization events of a running write batch (events.h),
 * shared by both backends: the per-job undo (truncate) and the grouping by
 * organization that lets a backend take each organization's head row once per
 * batch, in ascending id order.
 * Threading: the writer thread's. */
#include "store/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

static int type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n == 0 || n > CH_EVENT_TYPE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '.' || t[i] == '_'))
			return 0;
	return 1;
}

void ch_oev_add(ch_oev_list *l, const ch_org_event_new *ev)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = ch_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	ch_oev *o = &l->v[l->n];
	o->heap = NULL;
	o->small[0] = '\0';
	o->company_id = ev->company_id;
	o->organization_id = ev->organization_id;
	o->chat_id = ev->chat_id;
	o->message_id = ev->message_id;
	o->client_id = ev->client_id;
	o->at = ev->at;
	o->ord = l->n;
	const char *data = ev->data ? ev->data : "{}";
	if (!type_ok(ev->type) || strlen(data) > CH_EVENT_DATA_MAX || data[0] != '{') {
		CH_ERROR("store: organization event %s has an invalid type or data; recorded with empty data",
		         type_ok(ev->type) ? ev->type : "(invalid)");
		data = "{}";
	}
	snprintf(o->type, sizeof o->type, "%s", type_ok(ev->type) ? ev->type : "invalid");
	size_t n = strlen(data);
	if (n < sizeof o->small)
		memcpy(o->small, data, n + 1);
	else
		o->heap = ch_xstrdup(data);
	l->n++;
}

void ch_oev_truncate(ch_oev_list *l, size_t n)
{
	while (l->n > n)
		free(l->v[--l->n].heap);
}

void ch_oev_free(ch_oev_list *l)
{
	ch_oev_truncate(l, 0);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

static int by_org(const void *a, const void *b)
{
	const ch_oev *x = a, *y = b;
	if (x->organization_id != y->organization_id)
		return x->organization_id < y->organization_id ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

ch_err ch_oev_flush(ch_oev_list *l, ch_oev_org_fn fn, void *ctx)
{
	ch_err err = CH_OK;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, by_org);
	for (size_t i = 0; err == CH_OK && i < l->n;) {
		size_t k = i;
		while (k < l->n && l->v[k].organization_id == l->v[i].organization_id)
			k++;
		err = fn(ctx, l->v[i].organization_id, &l->v[i], k - i);
		i = k;
	}
	ch_oev_truncate(l, 0);
	return err;
}
