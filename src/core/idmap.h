/* idmap.h — int64 id → pointer hash map (open addressing, linear probing).
 * Ids may be any value; a NULL value marks an empty slot, so values are never
 * NULL. Deletion shifts the probe run back (no tombstones).
 * Threading: none; callers lock. */
#ifndef CH_CORE_IDMAP_H
#define CH_CORE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ch_idmap {
	int64_t *keys;
	void **vals;
	size_t cap, used; /* cap is 0 or a power of two */
} ch_idmap;

void *ch_idmap_get(const ch_idmap *m, int64_t key);
/* Stores key → val (val != NULL); returns the value it replaced, or NULL. */
void *ch_idmap_put(ch_idmap *m, int64_t key, void *val);
/* Removes key; returns its value, or NULL when it was not there. */
void *ch_idmap_del(ch_idmap *m, int64_t key);
/* Calls free_val (if not NULL) on every value and empties the map. */
void ch_idmap_free(ch_idmap *m, void (*free_val)(void *));

#endif
