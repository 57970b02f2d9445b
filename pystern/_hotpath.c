/*
 * pystern._hotpath: the fast configurations of the renderer, one C loop per batch.
 *
 * Why C, and why by hand: in CPython every line of a batch costs at least two objects
 * (the timestamp's slice and the message's) before any filter or escaping runs, and for
 * `-i` words and `-o json` that floor plus one search or escaping pass per line came to
 * more than twice the cost of copying the bytes raw (issue 7).  No library does "check a
 * kubelet timestamp, cut it off, test some words, escape as Go's encoding/json does and
 * put a prefix in front" over a list of lines; written as one loop it needs no object per
 * line at all.
 *
 * The module is optional (pyproject.toml builds it with optional = true): without a compiler
 * pystern takes the pure-Python routes (render/sink.py), which define what the output must be.
 * Every function here returns None whenever it meets a case it does not handle exactly
 * (a line of another shape, invalid UTF-8 for JSON, a non-ASCII line for (?i) words), and
 * the caller then takes the Python route for that batch; a property test holds both routes
 * to the same bytes (tests/render/test_hotpath.py).
 */
#define PY_SSIZE_T_CLEAN
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h> /* mallopt */
#endif

/* "2006-01-02T15:04:05.000000000Z " -- RFC3339NanoFixed in UTC and its space. */
#define STAMP_WIDTH 31

static int
fixed_width_stamp(const unsigned char *s, Py_ssize_t n)
{
    /* The same bytes as sink._TIMESTAMP_PUNCTUATION: every non-digit of the shape. */
    return n >= STAMP_WIDTH && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
           s[16] == ':' && s[19] == '.' && s[29] == 'Z' && s[30] == ' ';
}

/* ---------------------------------------------------------------- word filters */

typedef struct {
    Py_ssize_t count;
    const char **words;
    Py_ssize_t *lengths;
    int fold; /* words are lower-case ASCII; compare the message lower-cased */
} Words;

/* Fills `w` from a tuple of bytes (or None: no filter on this side); 0 on success. */
static int
words_from(PyObject *tuple, int fold, Words *w)
{
    w->count = 0;
    w->words = NULL;
    w->lengths = NULL;
    w->fold = fold;
    if (tuple == Py_None)
        return 0;
    if (!PyTuple_Check(tuple)) {
        PyErr_SetString(PyExc_TypeError, "words must be a tuple of bytes or None");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    w->words = PyMem_Malloc(sizeof(char *) * (size_t)(n ? n : 1));
    w->lengths = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n ? n : 1));
    if (w->words == NULL || w->lengths == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *word = PyTuple_GET_ITEM(tuple, i);
        if (!PyBytes_Check(word) || PyBytes_GET_SIZE(word) == 0) {
            PyErr_SetString(PyExc_TypeError, "each word must be non-empty bytes");
            return -1;
        }
        w->words[i] = PyBytes_AS_STRING(word);
        w->lengths[i] = PyBytes_GET_SIZE(word);
    }
    w->count = n;
    return 0;
}

static void
words_free(Words *w)
{
    PyMem_Free(w->words);
    PyMem_Free(w->lengths);
}

/* 1: one of the words occurs in the message, 0: none does, -1: not decidable here (a
 * (?i) comparison of a non-ASCII message: Unicode case folding has non-ASCII partners). */
static int
contains_any(const Words *w, const char *msg, Py_ssize_t n, char *lowered)
{
    if (w->fold) {
        for (Py_ssize_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)msg[i];
            if (c >= 0x80)
                return -1;
            lowered[i] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        msg = lowered;
    }
    for (Py_ssize_t i = 0; i < w->count; i++) {
        if (w->lengths[i] <= n && memmem(msg, (size_t)n, w->words[i], (size_t)w->lengths[i]) != NULL)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- output buffer */

/* Where a batch is rendered before its bytes object is made at the exact size.  Why not
 * render into the bytes object and shrink it: glibc serves large blocks with mmap and sets
 * its threshold to the size of the last one freed, so an object allocated larger than it
 * is freed (the estimate, then the shrink) is mapped afresh every time, and each of its
 * pages faults in (that doubled the cost of -o json).  One buffer, kept between batches,
 * costs a copy instead.  Only ever used with the GIL held. */
static char *scratch;
static Py_ssize_t scratch_size;
#define SCRATCH_KEPT (8 * 1024 * 1024) /* a larger buffer is given back after its batch */

typedef struct {
    char *data;
    Py_ssize_t used;
    Py_ssize_t size;
} Out;

static int
out_reserve(Out *o, Py_ssize_t more)
{
    if (o->used + more <= o->size)
        return 0;
    Py_ssize_t size = o->size * 2;
    if (size < o->used + more)
        size = o->used + more;
    char *data = PyMem_Realloc(o->data, (size_t)size);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    scratch = o->data = data;
    scratch_size = o->size = size;
    return 0;
}

static void
out_release(void)
{
    if (scratch_size > SCRATCH_KEPT) {
        PyMem_Free(scratch);
        scratch = NULL;
        scratch_size = 0;
    }
}

static void
out_put(Out *o, const char *s, Py_ssize_t n)
{
    memcpy(o->data + o->used, s, (size_t)n);
    o->used += n;
}

/* ---------------------------------------------------------------- Go JSON escaping */

/* Per ASCII byte: its escape's length (0: copied as it is) and the escape, as
 * jsontext.quote writes it (Python's encoder for the controls, plus Go's <, > and &).  Each
 * escape is padded to eight bytes so that it is copied with one fixed-size store. */
static Py_ssize_t ESCAPE_LENGTHS[128];
static char ESCAPES[128][8];

static void
init_escapes(void)
{
    static const char hex[] = "0123456789abcdef";
    for (int c = 0; c < 32; c++) {
        char *e = ESCAPES[c];
        e[0] = '\\', e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
        ESCAPE_LENGTHS[c] = 6;
    }
    static const struct {
        char byte;
        const char *escape;
    } SHORT[] = {{'\b', "\\b"}, {'\t', "\\t"}, {'\n', "\\n"}, {'\f', "\\f"}, {'\r', "\\r"},
                 {'"', "\\\""}, {'\\', "\\\\"}, {'<', "\\u003c"}, {'>', "\\u003e"}, {'&', "\\u0026"}};
    for (size_t k = 0; k < sizeof SHORT / sizeof SHORT[0]; k++) {
        int c = SHORT[k].byte;
        memset(ESCAPES[c], 0, 8);
        memcpy(ESCAPES[c], SHORT[k].escape, strlen(SHORT[k].escape));
        ESCAPE_LENGTHS[c] = (Py_ssize_t)strlen(SHORT[k].escape);
    }
}

/* The length of the valid UTF-8 sequence at s[0] (strict, as Python's decoder: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0 when it is not one. */
static Py_ssize_t
utf8_sequence(const unsigned char *s, Py_ssize_t n)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EIGHT_AT_A_TIME 1
/* Not zero exactly when one of the 8 bytes in `x` is one that JSON escaping or the UTF-8
 * check must look at: a control byte, '"', '\\', '<', '>', '&', or a byte >= 0x80.  (Each
 * term sets the high bit of such a byte; a borrow, the only way a term can flag another
 * byte, comes only from a byte that is flagged itself.) */
static inline uint64_t
bytes_to_look_at(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
#define ZERO_BYTES(v) (((v) - ones) & ~(v) & highs)
    return ZERO_BYTES(x ^ (ones * '"')) | ZERO_BYTES(x ^ (ones * '\\')) | ZERO_BYTES(x ^ (ones * '<')) |
           ZERO_BYTES(x ^ (ones * '>')) | ZERO_BYTES(x ^ (ones * '&')) | ((x - ones * 0x20) & ~x & highs) |
           (x & highs);
#undef ZERO_BYTES
}
#endif

/* Writes the escape of the byte or UTF-8 sequence at s[i] (one that needs looking at, or
 * any byte) to *d; returns the next i, or -1 for invalid UTF-8. */
static inline Py_ssize_t
put_one(char **d, const unsigned char *s, Py_ssize_t i, Py_ssize_t n)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        Py_ssize_t len = ESCAPE_LENGTHS[c];
        if (len == 0)
            *(*d)++ = (char)c;
        else {
            memcpy(*d, ESCAPES[c], 8); /* one store; the padding is written over next */
            *d += len;
        }
        return i + 1;
    }
    Py_ssize_t len = utf8_sequence(s + i, n - i);
    if (len == 0)
        return -1;
    if (len == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
        memcpy(*d, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6); /* Go escapes these two */
        *d += 6;
        return i + 3;
    } else if (len == 2) { /* fixed sizes: a store each, not a call to memcpy */
        memcpy(*d, s + i, 2);
    } else if (len == 3) {
        memcpy(*d, s + i, 3);
    } else {
        memcpy(*d, s + i, 4);
    }
    *d += len;
    return i + len;
}

/* Appends the escaped message; -1 with an exception set, -2 for invalid UTF-8 (the caller
 * hands the batch to the Python route, which knows Go's one-\ufffd-per-byte rule). */
static int
put_escaped(Out *o, const unsigned char *s, Py_ssize_t n)
{
    /* Room for the worst case at once (a control byte becomes six, and a block of eight
     * is stored whole), so the loops below write through a pointer with no check. */
    if (out_reserve(o, 6 * n + 8) < 0)
        return -1;
    char *d = o->data + o->used;
    Py_ssize_t i = 0;
#ifdef EIGHT_AT_A_TIME
    /* Eight bytes at a time: a block with nothing to look at is stored whole, any other
     * goes byte by byte.  On text without quotes this takes half the time of a byte loop
     * (34 against 66 ns for the benchmark's messages); on JSON log lines, with a quote every
     * few bytes, 77 against 91 ns (storing up to the first flagged byte and checking again
     * from there was slower on those: 99 ns). */
    while (i + 8 <= n) {
        uint64_t block;
        memcpy(&block, s + i, 8);
        memcpy(d, &block, 8);
        uint64_t flags = bytes_to_look_at(block);
        if (flags == 0) {
            d += 8;
            i += 8;
            continue;
        }
        Py_ssize_t end = i + 8;
        while (i < end) {
            i = put_one(&d, s, i, n);
            if (i < 0)
                return -2;
        }
    }
#endif
    while (i < n) {
        i = put_one(&d, s, i, n);
        if (i < 0)
            return -2;
    }
    o->used = d - o->data;
    return 0;
}

/* ---------------------------------------------------------------- render */

PyDoc_STRVAR(render_doc,
"render(lines, head, tail, json, include, include_fold, exclude, exclude_fold) -> bytes | None\n"
"\n"
"For each line (a kubelet record starting with a 30-byte UTC timestamp and a space) that\n"
"passes the word filters, head + message + tail, the message Go-JSON-escaped when json is\n"
"true.  include/exclude are tuples of bytes words (a side matches when any word occurs) or\n"
"None for no filter; with a *_fold flag the words are lower-case and compared with the\n"
"lower-cased message.  None when a line has another shape, json meets invalid UTF-8, or a\n"
"folded comparison meets a non-ASCII message: the caller then takes the Python route.");

static PyObject *
render(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *lines_arg, *include_arg, *exclude_arg;
    const char *head, *tail;
    Py_ssize_t head_len, tail_len;
    int json, include_fold, exclude_fold;
    if (!PyArg_ParseTuple(args, "Oy#y#pOpOp:render", &lines_arg, &head, &head_len, &tail, &tail_len, &json,
                          &include_arg, &include_fold, &exclude_arg, &exclude_fold))
        return NULL;
    PyObject *lines = PySequence_Fast(lines_arg, "lines must be a sequence of bytes");
    if (lines == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(lines);
    PyObject **items = PySequence_Fast_ITEMS(lines);

    PyObject *result = NULL;
    char *lowered = NULL;
    Words include, exclude;
    Out out = {scratch, 0, scratch_size};
    int include_ok = words_from(include_arg, include_fold, &include);
    int exclude_ok = words_from(exclude_arg, exclude_fold, &exclude);
    if (include_ok < 0 || exclude_ok < 0)
        goto done;
    int filtering = include_arg != Py_None || exclude_arg != Py_None;

    /* One pass for the shape and the sizes: the output (unfiltered, unescaped) and the
     * longest message (the scratch buffer of (?i) comparisons). */
    Py_ssize_t total = 0, longest = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *line = items[k];
        if (!PyBytes_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "lines must be bytes");
            goto done;
        }
        Py_ssize_t n = PyBytes_GET_SIZE(line);
        if (!fixed_width_stamp((const unsigned char *)PyBytes_AS_STRING(line), n)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        total += head_len + (n - STAMP_WIDTH) + tail_len;
        if (n - STAMP_WIDTH > longest)
            longest = n - STAMP_WIDTH;
    }
    if (include_fold || exclude_fold) {
        lowered = PyMem_Malloc((size_t)(longest ? longest : 1));
        if (lowered == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    if (json)
        total += total / 4; /* JSON log lines escape a dozen quotes each */
    if (out_reserve(&out, total + 64) < 0) /* never a NULL buffer, even for empty output */
        goto done;

    for (Py_ssize_t k = 0; k < count; k++) {
        const char *msg = PyBytes_AS_STRING(items[k]) + STAMP_WIDTH;
        Py_ssize_t n = PyBytes_GET_SIZE(items[k]) - STAMP_WIDTH;
        if (filtering) {
            /* stern's order: any exclude drops the line, then some include must match. */
            if (exclude.count) {
                int found = contains_any(&exclude, msg, n, lowered);
                if (found < 0) {
                    result = Py_NewRef(Py_None);
                    goto done;
                }
                if (found)
                    continue;
            }
            if (include.count) {
                int found = contains_any(&include, msg, n, lowered);
                if (found < 0) {
                    result = Py_NewRef(Py_None);
                    goto done;
                }
                if (!found)
                    continue;
            }
        }
        if (out_reserve(&out, head_len) < 0)
            goto done;
        out_put(&out, head, head_len);
        if (json) {
            int escaped = put_escaped(&out, (const unsigned char *)msg, n);
            if (escaped == -1)
                goto done;
            if (escaped == -2) {
                result = Py_NewRef(Py_None);
                goto done;
            }
        } else {
            if (out_reserve(&out, n) < 0)
                goto done;
            out_put(&out, msg, n);
        }
        if (out_reserve(&out, tail_len) < 0)
            goto done;
        out_put(&out, tail, tail_len);
    }
    result = PyBytes_FromStringAndSize(out.data, out.used);

done:
    out_release();
    PyMem_Free(lowered);
    words_free(&include);
    words_free(&exclude);
    Py_DECREF(lines);
    return result;
}

/* ---------------------------------------------------------------- allocator */

PyDoc_STRVAR(tune_allocator_doc,
"tune_allocator() -> bool\n"
"\n"
"Fix glibc's thresholds for serving blocks with mmap and for giving memory back (4 and 8\n"
"MiB) instead of its dynamic ones; False where that is not glibc.  For the pystern\n"
"process only (the CLI calls it), never for a program that imports pystern.");

/* Why: a rendered batch is one block of up to a few MiB.  glibc's dynamic threshold serves
 * each block larger than the last one freed with a fresh mmap, and trims the heap back to
 * the OS as blocks are freed, so the pages of most batches were new and faulted in, each
 * zeroed by the kernel (a quarter of -o json's CPU samples in perf; 90k minor faults in the
 * benchmark's flood, 19k with this).  Fixed thresholds keep such blocks on the heap and at
 * most 8 MiB of free heap mapped. */
static PyObject *
tune_allocator(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
#ifdef __GLIBC__
    if (mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024) && mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024))
        Py_RETURN_TRUE;
#endif
    Py_RETURN_FALSE;
}

static PyMethodDef methods[] = {
    {"render", render, METH_VARARGS, render_doc},
    {"tune_allocator", tune_allocator, METH_NOARGS, tune_allocator_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "pystern._hotpath",
    "The renderer's fast configurations in one C loop per batch (optional; see render/native.py).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__hotpath(void)
{
    init_escapes();
    return PyModule_Create(&module);
}
