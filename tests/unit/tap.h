/* tap.h - a minimal TAP producer for the unit test programs. */
#ifndef AR_TAP_H
#define AR_TAP_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/*
 * Returns how many entries directory dir has besides dot files, or -1 when
 * it cannot be read: files a test left, /proc/self/fd (descriptors),
 * /proc/self/task (threads).
 */
static inline int
tap_count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Records one test point; prints "ok N - name" or "not ok N - name". */
#define ok(cond, ...) do { \
	int ok_c_ = (cond) ? 1 : 0; \
	printf("%s %d - ", ok_c_ ? "ok" : "not ok", ++tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!ok_c_) { \
		tap_failed++; \
		printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
	} \
} while (0)

/* Compares two strings exactly, printing both on failure. */
#define is_str(got, want, ...) do { \
	const char *is_g_ = (got), *is_w_ = (want); \
	int is_c_ = is_g_ && is_w_ ? strcmp(is_g_, is_w_) == 0 : is_g_ == is_w_; \
	ok(is_c_, __VA_ARGS__); \
	if (!is_c_) \
		printf("#   got:  '%s'\n#   want: '%s'\n", \
		    is_g_ ? is_g_ : "(null)", is_w_ ? is_w_ : "(null)"); \
} while (0)

/* Compares two integers exactly, printing both on failure. */
#define is_int(got, want, ...) do { \
	long long is_g_ = (long long)(got), is_w_ = (long long)(want); \
	ok(is_g_ == is_w_, __VA_ARGS__); \
	if (is_g_ != is_w_) \
		printf("#   got:  %lld\n#   want: %lld\n", is_g_, is_w_); \
} while (0)

/* Prints the plan line; returns the exit status for main. */
#define done_testing() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
