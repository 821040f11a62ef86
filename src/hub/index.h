/* index.h — private to src/hub/: connections by id and by audience key.
 * Threading: network thread only. */
#ifndef CH_HUB_INDEX_H
#define CH_HUB_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* Audience keys: the kind in the top byte, the id below. */
enum { KEY_COMPANY = 1, KEY_ORG_OPERATORS = 2, KEY_CLIENT = 3, KEY_OPERATOR = 4, KEY_ORG_VISITORS = 5 };
#define HUB_KEY(kind, id) (((uint64_t)(kind) << 56) | ((uint64_t)(id) & 0x00ffffffffffffffull))

/* A set of pointers under a key. add/remove keep no order. */
void hub_index_add(uint64_t key, void *p);
void hub_index_remove(uint64_t key, void *p);
/* The members of key (borrowed until the next add/remove), *n their count. */
void **hub_index_get(uint64_t key, size_t *n);
void hub_index_clear(void);

#endif
