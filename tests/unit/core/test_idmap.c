/* Unit tests of the int64 → pointer map. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/idmap.h"

Test(idmap, empty_map_finds_nothing)
{
	ch_idmap m = {0};
	cr_assert_null(ch_idmap_get(&m, 0));
	cr_assert_null(ch_idmap_get(&m, INT64_MIN));
	ch_idmap_free(&m, NULL);
}

Test(idmap, put_get_replace_across_growth)
{
	ch_idmap m = {0};
	static int vals[3];
	/* ids of every sign and size, enough to grow many times */
	for (int64_t i = -5000; i < 5000; i++)
		cr_assert_null(ch_idmap_put(&m, i * 7919, &vals[(i + 5000) % 3]));
	cr_assert_eq(m.used, 10000);
	for (int64_t i = -5000; i < 5000; i++)
		cr_assert_eq(ch_idmap_get(&m, i * 7919), &vals[(i + 5000) % 3]);
	cr_assert_null(ch_idmap_get(&m, 1));
	cr_assert_eq(ch_idmap_put(&m, 0, &vals[0]), &vals[5000 % 3], "put returns the value it replaced");
	cr_assert_eq(ch_idmap_get(&m, 0), &vals[0]);
	cr_assert_eq(m.used, 10000, "a replacement adds no entry");
	ch_idmap_put(&m, INT64_MAX, &vals[1]);
	ch_idmap_put(&m, INT64_MIN, &vals[2]);
	cr_assert_eq(ch_idmap_get(&m, INT64_MAX), &vals[1]);
	cr_assert_eq(ch_idmap_get(&m, INT64_MIN), &vals[2]);
	ch_idmap_free(&m, NULL);
	cr_assert_eq(m.cap, 0);
	cr_assert_null(ch_idmap_get(&m, 0));
}

Test(idmap, free_calls_free_val_on_every_value)
{
	ch_idmap m = {0};
	for (int i = 0; i < 100; i++)
		ch_idmap_put(&m, i, malloc(16));
	ch_idmap_free(&m, free); /* leaks would show under ASan */
	cr_assert_eq(m.used, 0);
}

/* Deletion against a model: random puts and deletes over a small key space
 * (long probe runs, wrap-around at the table's end), then every key is
 * checked against what the model says. */
Test(idmap, delete_keeps_every_other_key_findable)
{
	ch_idmap m = {0};
	static int vals[64];
	int present[512] = {0};
	unsigned seed = 12345;
	for (int round = 0; round < 200000; round++) {
		seed = seed * 1103515245u + 12345u;
		int64_t k = (int64_t)((seed >> 8) % 512) * 1024; /* multiples collide in low bits */
		if ((seed >> 4) & 1) {
			void *old = ch_idmap_put(&m, k, &vals[k / 1024 % 64]);
			cr_assert_eq(old != NULL, present[k / 1024]);
			present[k / 1024] = 1;
		} else {
			void *old = ch_idmap_del(&m, k);
			cr_assert_eq(old != NULL, present[k / 1024], "del returns the value only when the key was there");
			present[k / 1024] = 0;
		}
	}
	size_t n = 0;
	for (int i = 0; i < 512; i++) {
		n += (size_t)present[i];
		cr_assert_eq(ch_idmap_get(&m, (int64_t)i * 1024) != NULL, present[i], "key %d", i);
	}
	cr_assert_eq(m.used, n);
	cr_assert_null(ch_idmap_del(&m, 7), "deleting a missing key does nothing");
	ch_idmap_free(&m, NULL);
}
