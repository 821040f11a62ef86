/* static.c — in-memory copy of web/ (see static.h). */
#include "net/static.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/log.h"

#define MAX_FILE_BYTES (16u << 20)

static ch_static_file *files;
static size_t n_files, cap_files;

static const char *mime_of(const char *path)
{
	static const char *map[][2] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
		{".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
		{".gif", "image/gif"}, {".ico", "image/x-icon"}, {".webp", "image/webp"},
		{".txt", "text/plain; charset=utf-8"}, {".map", "application/json; charset=utf-8"},
		{".woff2", "font/woff2"}, {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
		{".wav", "audio/wav"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(dot, map[i][0]))
			return map[i][1];
	return "application/octet-stream";
}

static int add_file(const char *fs_path, const char *url)
{
	FILE *f = fopen(fs_path, "rb");
	if (!f)
		return -1;
	ch_buf b = CH_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < MAX_FILE_BYTES)
		ch_buf_append(&b, chunk, n);
	fclose(f);
	if (n_files == cap_files) {
		cap_files = cap_files ? cap_files * 2 : 64;
		files = ch_xrealloc(files, cap_files * sizeof *files);
	}
	ch_static_file *sf = &files[n_files++];
	sf->path = ch_xstrdup(url);
	sf->mime = mime_of(url);
	sf->len = b.len;
	sf->data = ch_buf_steal(&b, NULL);
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < sf->len; i++)
		h = (h ^ (unsigned char)sf->data[i]) * 1099511628211ull;
	snprintf(sf->etag, sizeof sf->etag, "\"%016llx\"", (unsigned long long)h);
	return 0;
}

static int walk(const char *dir, const char *url_prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* no dotfiles, no . / .. */
		char fs[4096], url[4096];
		snprintf(fs, sizeof fs, "%s/%s", dir, e->d_name);
		snprintf(url, sizeof url, "%s/%s", url_prefix, e->d_name);
		struct stat st;
		if (stat(fs, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			rc = walk(fs, url);
		else if (S_ISREG(st.st_mode))
			rc = add_file(fs, url);
	}
	closedir(d);
	return rc;
}

int ch_static_load(const char *dir)
{
	if (walk(dir, "") < 0) {
		CH_ERROR("cannot read static files from %s", dir);
		return -1;
	}
	return (int)n_files;
}

static const ch_static_file *find_exact(const char *path)
{
	for (size_t i = 0; i < n_files; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	return NULL;
}

const ch_static_file *ch_static_find(const char *path)
{
	const ch_static_file *f = find_exact(path);
	if (f)
		return f;
	char idx[4096];
	size_t n = strlen(path);
	snprintf(idx, sizeof idx, "%s%sindex.html", path, n && path[n - 1] == '/' ? "" : "/");
	return find_exact(idx);
}

void ch_static_free(void)
{
	for (size_t i = 0; i < n_files; i++) {
		free((void *)files[i].path);
		free((void *)files[i].data);
	}
	free(files);
	files = NULL;
	n_files = cap_files = 0;
}
