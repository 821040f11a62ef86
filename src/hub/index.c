/* index.c — open-addressing map from a 64-bit key to a small set of pointers
 * (connections of a company, an organization, a client, an operator, or one
 * connection by id). Emptied sets keep their slot. Network thread only. */
#include "hub/index.h"

#include <stdlib.h>

#include "core/buf.h"

typedef struct slot {
	uint64_t key; /* 0 = empty */
	void **v;
	size_t n, cap;
} slot;

static slot *slots;
static size_t cap, used;

static size_t hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

static slot *find(uint64_t key, int create);

static void grow(void)
{
	slot *old = slots;
	size_t ocap = cap;
	cap = cap ? cap * 2 : 1024;
	slots = ch_xcalloc(cap, sizeof *slots);
	used = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key) {
			slot *s = find(old[i].key, 1);
			*s = old[i];
		}
	free(old);
}

static slot *find(uint64_t key, int create)
{
	if (create && (used + 1) * 2 > cap)
		grow();
	if (!cap)
		return NULL;
	for (size_t i = hash(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (slots[i].key == key)
			return &slots[i];
		if (!slots[i].key) {
			if (!create)
				return NULL;
			slots[i].key = key;
			used++;
			return &slots[i];
		}
	}
}

void hub_index_add(uint64_t key, void *p)
{
	slot *s = find(key, 1);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->v = ch_xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = p;
}

void hub_index_remove(uint64_t key, void *p)
{
	slot *s = find(key, 0);
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i] == p) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

void **hub_index_get(uint64_t key, size_t *n)
{
	slot *s = find(key, 0);
	*n = s ? s->n : 0;
	return s ? s->v : NULL;
}

void hub_index_clear(void)
{
	for (size_t i = 0; i < cap; i++)
		free(slots[i].v);
	free(slots);
	slots = NULL;
	cap = used = 0;
}
