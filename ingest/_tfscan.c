/* _tfscan: TFRecord framing, CRC32C checks and the one-scalar event decoder in one pass.
 *
 * The compiled twin of curvedoc.ingest.tfrecord's numpy path (see curvedoc/ingest/tfscan.py
 * for the Python side and the contract). Optional: when it is not built, the numpy path
 * reads the same records to the same values.
 *
 *   count(buf, offset) -> (records, end, why)
 *       walks record headers from `offset` while each header's length checksum holds and
 *       its record is complete; why: 0 end of buffer, 1 truncated record at `end`,
 *       2 corrupt header at `end`.
 *   decode(buf, offset, count, starts, lengths, kinds, steps, values, walls, codes,
 *          tag_offsets, tag_lengths, verify) -> number of distinct tags
 *       walks the same `count` records again and fills the int64/uint8/float64/int32
 *       buffers (one item per record). kinds: 0 a one-scalar event decoded here (tag code
 *       in codes, its bytes at tag_offsets/tag_lengths), 1 any other record (the caller
 *       parses it with protobuf), 2 its data checksum failed (verify only).
 *
 * A record is decoded here only when it is exactly
 *   Event{wall_time (field 1, double), [step (field 2, varint)], summary (field 5) {
 *     value (field 1) {tag (field 1, non-empty), <tail>}}}
 * with one value and a tail of VALUE_TAILS (curvedoc.ingest.tfrecord): simple_value, or a
 * scalar tensor of float/double/int32/int64, optionally with the "scalars" plugin
 * metadata. Such bytes decode to the same message whatever else a parser looks at.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define HEADER 12
#define FOOTER 4
#define MAX_RECORD (1ULL << 30)
#define MAX_TAGS 4096
#define SLOTS 8192 /* open-addressing table of tags: a power of two, > 2 * MAX_TAGS */

/* ------------------------------------------------------------------ CRC32C */

static uint32_t table[8][256];

static void init_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1U)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
}

static uint32_t crc_soft(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFU;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c; /* little-endian machines only reach here (see crc32c) */
        c = table[7][w & 0xFF] ^ table[6][(w >> 8) & 0xFF] ^ table[5][(w >> 16) & 0xFF] ^
            table[4][(w >> 24) & 0xFF] ^ table[3][(w >> 32) & 0xFF] ^
            table[2][(w >> 40) & 0xFF] ^ table[1][(w >> 48) & 0xFF] ^ table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xFF];
    return c ^ 0xFFFFFFFFU;
}

static uint32_t crc_bytewise(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFU;
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xFF];
    return c ^ 0xFFFFFFFFU;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_HW 1
__attribute__((target("sse4.2"))) static uint32_t crc_hw(const uint8_t *p, size_t n) {
    uint64_t c = 0xFFFFFFFFU;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32 ^ 0xFFFFFFFFU;
}
#endif

static int use_hw = 0;
static int little = 1;

static uint32_t crc32c(const uint8_t *p, size_t n) {
#ifdef HAVE_HW
    if (use_hw) return crc_hw(p, n);
#endif
    return little ? crc_soft(p, n) : crc_bytewise(p, n);
}

static uint32_t masked(uint32_t c) { return ((c >> 15) | (c << 17)) + 0xA282EAD8U; }

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = (v << 8) | p[k];
    return v;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* ------------------------------------------------------------------ framing */

/* One header at `off`: 0 a complete record (its length in *len), 1 truncated, 2 corrupt,
 * 3 the end of the buffer. */
static int header(const uint8_t *b, Py_ssize_t n, Py_ssize_t off, uint64_t *len) {
    if (off == n) return 3;
    if (off + HEADER > n) return 1;
    uint64_t length = le64(b + off);
    if (length > MAX_RECORD || masked(crc32c(b + off, 8)) != le32(b + off + 8)) return 2;
    if ((uint64_t)(n - off) < HEADER + length + FOOTER) return 1;
    *len = length;
    return 0;
}

static PyObject *count(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t off;
    if (!PyArg_ParseTuple(args, "y*n", &buf, &off)) return NULL;
    const uint8_t *b = buf.buf;
    Py_ssize_t n = buf.len, records = 0;
    int why;
    if (off < 0 || off > n) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "offset outside the buffer");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        uint64_t len;
        int h = header(b, n, off, &len);
        if (h) {
            why = h == 3 ? 0 : h;
            break;
        }
        records++;
        off += HEADER + (Py_ssize_t)len + FOOTER;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return Py_BuildValue("nni", records, off, why);
}

/* ------------------------------------------------------------------ decoding */

/* A varint at p[0..end): its value and the position after it, or -1 (cut off, > 10 bytes). */
static Py_ssize_t varint(const uint8_t *p, Py_ssize_t pos, Py_ssize_t end, uint64_t *out) {
    uint64_t v = 0;
    for (int k = 0; k < 10; k++) {
        if (pos + k >= end) return -1;
        uint8_t byte = p[pos + k];
        v |= (uint64_t)(byte & 0x7F) << (7 * k);
        if (byte < 0x80) {
            *out = v;
            return pos + k + 1;
        }
    }
    return -1;
}

/* The tails of curvedoc.ingest.tfrecord.VALUE_TAILS: head bytes, payload kind, foot. */
enum { F4, F8, I4, I8 };
typedef struct {
    const char *head;
    int head_len;
    int kind;
} Head;
static const Head heads[] = {
    {"\x15", 1, F4},
    {"\x42\x0a\x08\x01\x12\x00\x22\x04", 8, F4},
    {"\x42\x0a\x08\x01\x12\x00\x2a\x04", 8, F4},
    {"\x42\x0e\x08\x02\x12\x00\x22\x08", 8, F8},
    {"\x42\x0e\x08\x02\x12\x00\x32\x08", 8, F8},
    {"\x42\x0a\x08\x03\x12\x00\x22\x04", 8, I4},
    {"\x42\x0e\x08\x09\x12\x00\x22\x08", 8, I8},
};
static const char foot[] = "\x4a\x0b\x0a\x09\x0a\x07scalars";
#define FOOT_LEN 13

static int payload_size(int kind) { return kind == F4 || kind == I4 ? 4 : 8; }

static double payload(const uint8_t *p, int kind) {
    uint64_t v = kind == F4 || kind == I4 ? le32(p) : le64(p);
    if (kind == F4) {
        uint32_t u = (uint32_t)v;
        float f;
        memcpy(&f, &u, 4);
        return (double)f;
    }
    if (kind == F8) {
        double d;
        memcpy(&d, &v, 8);
        return d;
    }
    if (kind == I4) return (double)(int32_t)(uint32_t)v;
    return (double)(int64_t)v;
}

/* Decode one record as the one-scalar layout; 1 when it is one (outputs filled). */
static int scalar(const uint8_t *r, Py_ssize_t L, int64_t *step, double *value, double *wall,
                  Py_ssize_t *tag_at, Py_ssize_t *tag_len) {
    uint64_t len;
    if (L < 21 || r[0] != 0x09) return 0;
    Py_ssize_t pos = 9;
    uint64_t st = 0;
    if (r[pos] == 0x10) {
        pos = varint(r, pos + 1, L, &st);
        if (pos < 0) return 0;
    }
    for (int k = 0; k < 2; k++) { /* the summary (field 5), then its one value (field 1) */
        if (pos >= L || r[pos] != (k == 0 ? 0x2A : 0x0A)) return 0;
        pos = varint(r, pos + 1, L, &len);
        if (pos < 0 || len != (uint64_t)(L - pos)) return 0;
    }
    if (pos >= L || r[pos] != 0x0A) return 0;
    pos = varint(r, pos + 1, L, &len);
    if (pos < 0 || len < 1 || len > (uint64_t)(L - pos)) return 0;
    Py_ssize_t tag = pos, tail = pos + (Py_ssize_t)len, rest = L - tail;
    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        int size = payload_size(heads[h].kind);
        for (int with_foot = 0; with_foot < 2; with_foot++) {
            Py_ssize_t want = heads[h].head_len + size + (with_foot ? FOOT_LEN : 0);
            if (rest != want || memcmp(r + tail, heads[h].head, heads[h].head_len)) continue;
            if (with_foot && memcmp(r + L - FOOT_LEN, foot, FOOT_LEN)) continue;
            uint64_t w = le64(r + 1);
            memcpy(wall, &w, 8);
            *value = payload(r + tail + heads[h].head_len, heads[h].kind);
            *step = (int64_t)st;
            *tag_at = tag;
            *tag_len = (Py_ssize_t)len;
            return 1;
        }
    }
    return 0;
}

static uint64_t hash(const uint8_t *p, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

typedef struct {
    Py_buffer buf;
    int ok;
} Out;

static int writable(PyObject *obj, Out *out, Py_ssize_t items, Py_ssize_t size) {
    if (PyObject_GetBuffer(obj, &out->buf, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return 0;
    out->ok = 1;
    if (out->buf.len < items * size) {
        PyErr_SetString(PyExc_ValueError, "an output buffer is too small");
        return 0;
    }
    return 1;
}

static PyObject *decode(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t off, n_rec;
    PyObject *objs[9];
    int verify;
    if (!PyArg_ParseTuple(args, "y*nnOOOOOOOOOp", &buf, &off, &n_rec, &objs[0], &objs[1],
                          &objs[2], &objs[3], &objs[4], &objs[5], &objs[6], &objs[7],
                          &objs[8], &verify))
        return NULL;
    static const Py_ssize_t sizes[9] = {8, 8, 1, 8, 8, 8, 4, 8, 8};
    Out outs[9];
    memset(outs, 0, sizeof(outs));
    PyObject *result = NULL;
    int good = n_rec >= 0;
    if (!good) PyErr_SetString(PyExc_ValueError, "a negative count");
    for (int i = 0; i < 9 && good; i++)
        good = writable(objs[i], &outs[i], i < 7 ? n_rec : MAX_TAGS, sizes[i]);
    if (good && (off < 0 || off > buf.len)) {
        PyErr_SetString(PyExc_ValueError, "offset outside the buffer");
        good = 0;
    }
    if (!good) goto done;
    {
        int64_t *starts = outs[0].buf.buf, *lengths = outs[1].buf.buf;
        uint8_t *kinds = outs[2].buf.buf;
        int64_t *steps = outs[3].buf.buf;
        double *values = outs[4].buf.buf, *walls = outs[5].buf.buf;
        int32_t *codes = outs[6].buf.buf;
        int64_t *tag_offs = outs[7].buf.buf, *tag_lens = outs[8].buf.buf;
        const uint8_t *b = buf.buf;
        Py_ssize_t n = buf.len, ntags = 0, done_rec = 0;
        int32_t *slots = PyMem_Malloc(sizeof(int32_t) * SLOTS);
        if (!slots) {
            PyErr_NoMemory();
            goto done;
        }
        for (int i = 0; i < SLOTS; i++) slots[i] = -1;
        Py_BEGIN_ALLOW_THREADS
        for (; done_rec < n_rec; done_rec++) {
            uint64_t len;
            if (header(b, n, off, &len)) break; /* the buffer changed since count() */
            Py_ssize_t s = off + HEADER, L = (Py_ssize_t)len;
            starts[done_rec] = s;
            lengths[done_rec] = L;
            off = s + L + FOOTER;
            kinds[done_rec] = 1;
            if (verify && masked(crc32c(b + s, (size_t)L)) != le32(b + s + L)) {
                kinds[done_rec] = 2;
                continue;
            }
            Py_ssize_t at, tl;
            if (!scalar(b + s, L, &steps[done_rec], &values[done_rec], &walls[done_rec], &at,
                        &tl))
                continue;
            const uint8_t *t = b + s + at;
            uint64_t h = hash(t, tl) & (SLOTS - 1);
            int32_t code = -1;
            for (;;) {
                int32_t c = slots[h];
                if (c < 0) break;
                if (tag_lens[c] == tl && !memcmp(b + tag_offs[c], t, (size_t)tl)) {
                    code = c;
                    break;
                }
                h = (h + 1) & (SLOTS - 1);
            }
            if (code < 0) {
                if (ntags == MAX_TAGS) continue; /* too many tags: protobuf reads the rest */
                code = (int32_t)ntags++;
                slots[h] = code;
                tag_offs[code] = s + at;
                tag_lens[code] = tl;
            }
            codes[done_rec] = code;
            kinds[done_rec] = 0;
        }
        Py_END_ALLOW_THREADS
        PyMem_Free(slots);
        if (done_rec < n_rec) {
            PyErr_SetString(PyExc_ValueError, "the buffer changed between count and decode");
            goto done;
        }
        result = PyLong_FromSsize_t(ntags);
    }
done:
    for (int i = 0; i < 9; i++)
        if (outs[i].ok) PyBuffer_Release(&outs[i].buf);
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *crc(PyObject *self, PyObject *args) {
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "y*", &buf)) return NULL;
    uint32_t c = crc32c(buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS, "count(buf, offset) -> (records, end, why)"},
    {"decode", decode, METH_VARARGS, "decode(buf, offset, count, ...outputs, verify) -> tags"},
    {"crc32c", crc, METH_VARARGS, "crc32c(buf) -> the (unmasked) CRC32C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tfscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__tfscan(void) {
    uint16_t one = 1;
    little = *(uint8_t *)&one == 1;
    init_table();
#ifdef HAVE_HW
    __builtin_cpu_init();
    use_hw = __builtin_cpu_supports("sse4.2");
#endif
    return PyModule_Create(&module);
}
