/*
 * A small unit-test framework. Each test is a function registered with
 * TEST(name); a failed check ends that test only. Output, one line per
 * test, is what tests/run counts: "PASS suite.name" or
 * "FAIL suite.name: file:line: what". Exit status 1 if anything failed.
 * Run one test: ./test_x NAME.
 */
#ifndef GW_TEST_T_H
#define GW_TEST_T_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void t_fn(void);

struct t_case {
	const char *name;
	t_fn *fn;
	struct t_case *next;
};

void t_register(struct t_case *c);
/* Records a failure of the running test and returns false. */
bool t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Path of a file under tests/vectors (or shared testdata) for reading. */
const char *t_vector_path(const char *rel, char *buf, size_t cap);
/* Reads a whole file; caller frees. NULL on failure. */
char *t_read_file(const char *path, size_t *len);

#define TEST(name)                                                             \
	static void t_##name(void);                                            \
	static struct t_case t_case_##name = {#name, t_##name, NULL};          \
	__attribute__((constructor)) static void t_reg_##name(void)            \
	{                                                                      \
		t_register(&t_case_##name);                                    \
	}                                                                      \
	static void t_##name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			t_fail(__FILE__, __LINE__, "%s", #cond);               \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			t_fail(__FILE__, __LINE__, "%s == %lld, want %lld",    \
			       #a, t_a_, t_b_);                                \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *t_a_ = (a), *t_b_ = (b);                           \
		if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {               \
			t_fail(__FILE__, __LINE__,                             \
			       "%s == \"%s\", want \"%s\"", #a,                \
			       t_a_ ? t_a_ : "(null)",                         \
			       t_b_ ? t_b_ : "(null)");                        \
			return;                                                \
		}                                                              \
	} while (0)

/* Compares a length-delimited view with a C string. */
#define CHECK_MEM(p, n, s)                                                     \
	do {                                                                   \
		const char *t_p_ = (const char *)(p), *t_s_ = (s);             \
		size_t t_n_ = (size_t)(n);                                     \
		if (t_n_ != strlen(t_s_) || memcmp(t_p_, t_s_, t_n_) != 0) {   \
			t_fail(__FILE__, __LINE__,                             \
			       "%s == \"%.*s\", want \"%s\"", #p, (int)t_n_,   \
			       t_p_ ? t_p_ : "", t_s_);                        \
			return;                                                \
		}                                                              \
	} while (0)

#endif
