/* idmap.c — see idmap.h. */
#include "core/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static size_t hash(int64_t key)
{
	uint64_t x = (uint64_t)key + 0x9e3779b97f4a7c15ull; /* splitmix64 finalizer */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (size_t)(x ^ (x >> 31));
}

/* The slot of key, or the empty slot where it would go. */
static size_t slot(const ch_idmap *m, int64_t key)
{
	size_t i = hash(key) & (m->cap - 1);
	while (m->vals[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *ch_idmap_get(const ch_idmap *m, int64_t key)
{
	return m->cap ? m->vals[slot(m, key)] : NULL;
}

static void grow(ch_idmap *m)
{
	ch_idmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	m->used = 0;
	m->keys = ch_xcalloc(m->cap, sizeof *m->keys);
	m->vals = ch_xcalloc(m->cap, sizeof *m->vals);
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i])
			ch_idmap_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

void *ch_idmap_put(ch_idmap *m, int64_t key, void *val)
{
	if ((m->used + 1) * 4 > m->cap * 3) /* keep the load under 3/4 */
		grow(m);
	size_t i = slot(m, key);
	void *old = m->vals[i];
	if (!old)
		m->used++;
	m->keys[i] = key;
	m->vals[i] = val;
	return old;
}

void *ch_idmap_del(ch_idmap *m, int64_t key)
{
	if (!m->cap)
		return NULL;
	size_t i = slot(m, key), mask = m->cap - 1;
	void *old = m->vals[i];
	if (!old)
		return NULL;
	m->used--;
	/* Backward shift: later entries of the probe run move into the hole
	 * unless their home slot lies cyclically in (hole, entry]. */
	for (size_t j = i;;) {
		m->vals[i] = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (!m->vals[j])
				return old;
			size_t home = hash(m->keys[j]) & mask;
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		i = j;
	}
}

void ch_idmap_free(ch_idmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; free_val && i < m->cap; i++)
		if (m->vals[i])
			free_val(m->vals[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}
