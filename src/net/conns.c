/* conns.c — slot table with generations and a free list. Network thread only. */
#include "net/conns.h"

#include <stdlib.h>

#include "core/buf.h"

typedef struct slot {
	void *ptr;
	uint32_t gen;
	uint32_t next_free;
} slot;

static slot *slots; /* slots[0] is never used: slot 0 means "none" */
static uint32_t cap, used, free_head;

ch_conn_ref ch_conns_add(void *ptr)
{
	uint32_t i = free_head;
	if (i) {
		free_head = slots[i].next_free;
	} else {
		if (used + 1 >= cap) {
			uint32_t ncap = cap ? cap * 2 : 1024;
			slots = ch_xrealloc(slots, ncap * sizeof *slots);
			for (uint32_t k = cap; k < ncap; k++)
				slots[k] = (slot){0};
			cap = ncap;
		}
		i = ++used;
	}
	slots[i].ptr = ptr;
	slots[i].gen++;
	return (ch_conn_ref){i, slots[i].gen};
}

void *ch_conns_get(ch_conn_ref ref)
{
	if (!ref.slot || ref.slot > used || slots[ref.slot].gen != ref.gen)
		return NULL;
	return slots[ref.slot].ptr;
}

void ch_conns_remove(ch_conn_ref ref)
{
	if (!ch_conns_get(ref))
		return;
	slots[ref.slot].ptr = NULL;
	slots[ref.slot].gen++;
	slots[ref.slot].next_free = free_head;
	free_head = ref.slot;
}

void ch_conns_fini(void)
{
	free(slots);
	slots = NULL;
	cap = used = free_head = 0;
}
