/*
 * Runner for unit tests registered with TEST(): runs each in order (or the
 * ones named on the command line) and prints one PASS/FAIL line per test.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "t.h"

static struct t_case *head, **tail = &head;
static const char *suite = "unit";
static bool cur_failed;
static const char *cur_name;

void t_register(struct t_case *c)
{
	*tail = c;
	tail = &c->next;
}

bool t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (!cur_failed)
		printf("FAIL %s.%s: %s:%d: ", suite, cur_name, file, line);
	else
		printf("     %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	cur_failed = true;
	return false;
}

const char *t_vector_path(const char *rel, char *buf, size_t cap)
{
	const char *root = getenv("GW_TEST_ROOT");
	snprintf(buf, cap, "%s/%s", root ? root : ".", rel);
	return buf;
}

char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	size_t r;
	while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		if (len)
			*len = n;
	}
	return b;
}

static bool wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');
	suite = slash ? slash + 1 : argv[0];
	if (strncmp(suite, "test_", 5) == 0)
		suite += 5;
	int failed = 0, passed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct t_case *c = head; c; c = c->next) {
		if (!wanted(argc, argv, c->name))
			continue;
		cur_name = c->name;
		cur_failed = false;
		c->fn();
		if (cur_failed) {
			failed++;
		} else {
			passed++;
			printf("PASS %s.%s\n", suite, c->name);
		}
	}
	return failed ? 1 : 0;
}
