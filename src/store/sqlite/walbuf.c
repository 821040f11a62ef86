/* walbuf.c — the "chathub" SQLite VFS: the default (unix) VFS, except that a
 * transaction's WAL frames reach the file in one write instead of two per page,
 * a checkpoint's pages reach the database file in one write per run of
 * adjacent pages, and WAL frames are read from a shared mapping of the file.
 *
 * SQLite appends a commit to the WAL as frames, each a 24-byte header write
 * followed by a page write; a group commit of many messages dirties hundreds
 * of pages, and every write is a system call. This VFS collects contiguous
 * writes to a WAL file in a buffer and writes the buffer out:
 *   - right after the page of a commit frame (a frame header whose "database
 *     size after commit" field, bytes 4–7, is non-zero — see the WAL format in
 *     SQLite's fileformat2), so a commit is in the file before sqlite3_step
 *     returns and before SQLite publishes it in the wal-index to readers;
 *   - before any other operation on that file (read, sync, truncate, size,
 *     file control, close), so the file is never observed without its writes;
 *   - when a write is not contiguous with the buffer, or the buffer is full.
 * Durability is unchanged: nothing is acknowledged before sqlite3_step(COMMIT)
 * returns, and with synchronous = FULL the xSync that follows the commit frame
 * finds the buffer already written.
 *
 * The database file gets the same buffer. In WAL mode only a checkpoint writes
 * it, page by page in ascending page order, and the pages a round copies are
 * often adjacent (the tails of the append-only tables, neighbouring leaves):
 * each run goes out in one write. SQLite calls xFileControl
 * (SQLITE_FCNTL_CKPT_DONE) right after its copy loop, before it truncates,
 * syncs or publishes the round (nBackfill), so the file holds every page
 * before any reader can be sent to it; and no reader reads a page a round is
 * copying (it holds WAL_READ_LOCK(0), and every other reader's snapshot
 * includes the copied frames, so it reads them from the WAL).
 *
 * SQLite ignores what xFileControl returns, and a partial round publishes
 * itself with no other call in between, so a write that fails there would be
 * a round published without its pages. Two things keep that from happening:
 * a write past the file's end is buffered only once its blocks are reserved
 * (fallocate, FALLOC_FL_KEEP_SIZE, a MiB ahead), so a full disk fails the
 * xWrite that SQLite sees (else such writes go straight to the file); and a
 * buffered write that still fails at that point (an I/O error) stops the
 * process, whose next start rebuilds the WAL index and copies every frame
 * again.
 *
 * Files other than WAL and main database files (journals, temporary files)
 * pass through.
 *
 * WAL reads (the checkpointer's, one per page it copies; a reader's, one per
 * WAL page it needs) are served from a read-only shared mapping of the WAL
 * (MAP_SHARED: the page cache, so every write of any connection is seen)
 * instead of a pread each. SQLite reads only frames that were written, in the
 * WAL's current generation, while its locks keep them from being truncated; a
 * read past the size last seen (fstat, once per growth) or past the mapping
 * goes to the file as before, so the mapping is never touched beyond the end
 * of the file.
 *
 * Every byte SQLite writes to a WAL file is counted in the /metrics counter
 * chathub_sqlite_wal_bytes_total (the benchmark's WAL bytes per message).
 *
 * Threading: a sqlite3_file is used by one connection, hence one thread, at a
 * time; the VFS is registered once, by conn.c's process-wide set-up.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/metrics.h"
#include "store/sqlite/sqlite_int.h"

#define WALBUF_CAP (4u << 20)   /* bytes buffered at most before a write */
#define WAL_HDR 32              /* the WAL file header */
#define FRAME_HDR 24            /* each frame's header */
/* The unix VFS writes at most 0x1ffff bytes per call (it masks the length
 * with that; larger writes come back short as SQLITE_FULL): flushes go out in
 * chunks of 31 pages of 4 KiB. */
#define WRITE_CHUNK 0x1f000
/* Address space reserved for a WAL's mapping (not memory): the WAL starts over
 * at 64 MiB; frames past this are read with pread. */
#define WAL_MAP_LEN ((size_t)1 << 30)
#define RESERVE_AHEAD (1 << 20) /* bytes reserved past the database file's end at a time */

typedef struct walbuf_file {
	sqlite3_file base;      /* pMethods: walbuf_methods */
	sqlite3_file *real;     /* the unix VFS's file, allocated right after this */
	int is_wal;
	int gather;             /* a WAL or a main database: writes are buffered */
	int commit_pending;     /* the last write was a commit frame's header */
	int map_fd;             /* WAL: our own read-only descriptor, or -1 */
	const unsigned char *map; /* WAL: WAL_MAP_LEN bytes mapped, or NULL */
	sqlite3_int64 map_size; /* WAL: the file's size when last seen */
	const char *name;       /* the file's path (SQLite keeps it for the file's life) */
	int res_fd;             /* database: our own descriptor for fallocate, -1 until needed */
	sqlite3_int64 db_end;   /* database: its size as this handle knows it, -1 unknown */
	sqlite3_int64 reserved; /* database: blocks reserved up to here */
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off;      /* file offset of buf[0] */
} walbuf_file;

static sqlite3_vfs walbuf_vfs;
static sqlite3_vfs *real_vfs;

static int flush(walbuf_file *f)
{
	int rc = SQLITE_OK;
	for (size_t at = 0; rc == SQLITE_OK && at < f->len; at += WRITE_CHUNK) {
		size_t n = f->len - at < WRITE_CHUNK ? f->len - at : WRITE_CHUNK;
		rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n, f->off + (sqlite3_int64)at);
	}
	if (rc == SQLITE_OK && f->db_end >= 0 && f->off + (sqlite3_int64)f->len > f->db_end)
		f->db_end = f->off + (sqlite3_int64)f->len;
	f->len = 0;
	return rc;
}

static int wb_close(sqlite3_file *pf)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	if (f->res_fd >= 0)
		close(f->res_fd);
	f->res_fd = -1;
	if (f->map)
		munmap((void *)f->map, WAL_MAP_LEN);
	if (f->map_fd >= 0)
		close(f->map_fd);
	f->map = NULL;
	f->map_fd = -1;
	return rc != SQLITE_OK ? rc : rc2;
}

/* Copies [off, off + n) of the WAL from its mapping; 0 when the mapping cannot
 * serve it (the caller reads the file). */
static int map_read(walbuf_file *f, void *p, int n, sqlite3_int64 off)
{
	if (f->map_fd < 0 || off < 0 || (size_t)off + (size_t)n > WAL_MAP_LEN)
		return 0;
	if (off + n > f->map_size) {
		struct stat st;
		if (fstat(f->map_fd, &st) != 0)
			return 0;
		f->map_size = st.st_size;
		if (off + n > f->map_size)
			return 0;
	}
	if (!f->map) {
		void *m = mmap(NULL, WAL_MAP_LEN, PROT_READ, MAP_SHARED, f->map_fd, 0);
		if (m == MAP_FAILED) {
			close(f->map_fd);
			f->map_fd = -1;
			return 0;
		}
		f->map = m;
	}
	memcpy(p, f->map + off, (size_t)n);
	return 1;
}

static int wb_read(sqlite3_file *pf, void *p, int n, sqlite3_int64 off)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (n > 0 && map_read(f, p, n, off))
		return SQLITE_OK;
	return f->real->pMethods->xRead(f->real, p, n, off);
}

/* Appends to the buffer; 0 when it does not fit (caller flushes first). */
static int buffer(walbuf_file *f, const void *p, size_t n, sqlite3_int64 off)
{
	if (f->len && off != f->off + (sqlite3_int64)f->len)
		return 0;
	if (f->len + n > f->cap) {
		if (f->len + n > WALBUF_CAP)
			return 0;
		size_t cap = f->cap ? f->cap : 64 * 1024;
		while (cap < f->len + n)
			cap *= 2;
		unsigned char *b = realloc(f->buf, cap);
		if (!b)
			return 0;
		f->buf = b;
		f->cap = cap;
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 1;
}

/* Database file: 1 when [off, off + n) is inside the file or its reserved
 * blocks (a write there cannot fail for want of space), reserving ahead when
 * it is not; 0 when it cannot tell or reserve (the write goes to the file). */
static int room_for(walbuf_file *f, sqlite3_int64 off, int n)
{
	sqlite3_int64 end = off + n;
	if (f->db_end < 0 && f->real->pMethods->xFileSize(f->real, &f->db_end) != SQLITE_OK) {
		f->db_end = -1;
		return 0;
	}
	if (end <= f->db_end || end <= f->reserved)
		return 1;
	if (f->res_fd < 0 && (!f->name || (f->res_fd = open(f->name, O_WRONLY | O_CLOEXEC)) < 0))
		return 0;
	sqlite3_int64 from = f->reserved > f->db_end ? f->reserved : f->db_end;
	if (fallocate(f->res_fd, FALLOC_FL_KEEP_SIZE, from, end + RESERVE_AHEAD - from) != 0)
		return 0;
	f->reserved = end + RESERVE_AHEAD;
	return 1;
}

static int wb_write(sqlite3_file *pf, const void *p, int n, sqlite3_int64 off)
{
	walbuf_file *f = (walbuf_file *)pf;
	if (f->gather && !f->is_wal && n > 0 && !room_for(f, off, n)) {
		int rc = flush(f);
		if (rc == SQLITE_OK)
			rc = f->real->pMethods->xWrite(f->real, p, n, off);
		if (rc == SQLITE_OK && off + n > f->db_end)
			f->db_end = off + n;
		return rc;
	}
	if (!f->gather || n <= 0)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	if (f->is_wal)
		ch_metrics_counter_add(CH_COUNTER_SQLITE_WAL_BYTES, n);
	int commit_page = f->commit_pending;
	f->commit_pending = 0;
	if (!buffer(f, p, (size_t)n, off)) {
		int rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
		if (!buffer(f, p, (size_t)n, off) &&
		    (rc = f->real->pMethods->xWrite(f->real, p, n, off)) != SQLITE_OK)
			return rc;
	}
	if (commit_page)
		return flush(f);
	if (f->is_wal && n == FRAME_HDR && off >= WAL_HDR) {
		const unsigned char *h = p;
		f->commit_pending = (h[4] | h[5] | h[6] | h[7]) != 0;
	}
	return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	if (rc == SQLITE_OK)
		rc = f->real->pMethods->xTruncate(f->real, size);
	f->db_end = rc == SQLITE_OK ? size : -1;
	f->reserved = 0;
	return rc;
}

static int wb_sync(sqlite3_file *pf, int flags)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *pf, int lock)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xLock(f->real, lock);
}

static int wb_unlock(sqlite3_file *pf, int lock)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	int rc2 = f->real->pMethods->xUnlock(f->real, lock);
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_check_reserved(sqlite3_file *pf, int *out)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_file_control(sqlite3_file *pf, int op, void *arg)
{
	walbuf_file *f = (walbuf_file *)pf;
	int had = f->len != 0;
	int rc = flush(f);
	if (rc != SQLITE_OK && had && !f->is_wal && op == SQLITE_FCNTL_CKPT_DONE) {
		/* SQLite would publish the round without these pages (see above) */
		fprintf(stderr, "chathub: writing checkpointed pages to %s failed (SQLite error %d); stopping so that "
		                "the next start copies them again\n", f->name ? f->name : "the database", rc);
		abort();
	}
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector_size(sqlite3_file *pf)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device_chars(sqlite3_file *pf)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wb_shm_map(sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int wb_shm_lock(sqlite3_file *pf, int offset, int n, int flags)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *pf)
{
	walbuf_file *f = (walbuf_file *)pf;
	f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *pf, int del)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *pf, sqlite3_int64 off, int n, void **pp)
{
	walbuf_file *f = (walbuf_file *)pf;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, n, pp);
}

static int wb_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
	walbuf_file *f = (walbuf_file *)pf;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods walbuf_methods = {
	.iVersion = 3,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device_chars,
	.xShmMap = wb_shm_map,
	.xShmLock = wb_shm_lock,
	.xShmBarrier = wb_shm_barrier,
	.xShmUnmap = wb_shm_unmap,
	.xFetch = wb_fetch,
	.xUnfetch = wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags, int *out_flags)
{
	(void)vfs;
	walbuf_file *f = (walbuf_file *)pf;
	memset(f, 0, sizeof *f);
	f->map_fd = -1;
	f->res_fd = -1;
	f->db_end = -1;
	f->real = (sqlite3_file *)(f + 1);
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		/* SQLite calls xClose only when pMethods is set */
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	/* our methods forward shared memory and mmap: the inner file must have them */
	if (f->real->pMethods->iVersion < 3) {
		f->real->pMethods->xClose(f->real);
		return SQLITE_CANTOPEN;
	}
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	f->gather = f->is_wal || (flags & SQLITE_OPEN_MAIN_DB) != 0;
	f->name = name;
	/* our own descriptor of the same file, opened after SQLite created it */
	if (f->is_wal && name)
		f->map_fd = open(name, O_RDONLY | O_CLOEXEC);
	f->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

int ch_store_sqlite_vfs_register(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return SQLITE_ERROR;
	/* Everything but xOpen is the inner VFS's own: those functions only read
	 * mxPathname and pAppData from the sqlite3_vfs they are given. */
	walbuf_vfs = *real_vfs;
	walbuf_vfs.szOsFile = (int)sizeof(walbuf_file) + real_vfs->szOsFile;
	walbuf_vfs.zName = CH_STORE_SQLITE_VFS;
	walbuf_vfs.pNext = NULL;
	walbuf_vfs.xOpen = wb_open;
	return sqlite3_vfs_register(&walbuf_vfs, 0);
}
