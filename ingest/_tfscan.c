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
 *   decode(buf, offset, count, starts, lengths, index, steps, values, walls, codes, codes8,
 *          tag_offsets, tag_lengths, verify) -> (distinct tags, scalars, bad checksums)
 *       walks the same `count` records again. starts/lengths: one int64 per record. The
 *       one-scalar events decoded here are packed at the front, in record order: index[j]
 *       the record's number, steps/values/walls[j] (int64/float64), codes[j] its tag's code
 *       (int32; codes8[j] the same as int8, valid when there are at most 127 tags), the
 *       code's bytes at tag_offsets/tag_lengths (codes numbered as tags first appear). The
 *       other records fill index from the back, in record order from the end: i for a record
 *       the caller parses with protobuf, ~i (-i-1) for one whose data checksum failed
 *       (verify only). Everything per record happens in this one call, which releases the
 *       GIL once: threads reading other files then run with few hand-overs of the GIL.
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
#ifndef _WIN32
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#define HAVE_WRITER 1
#endif

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

/* Each crc_* continues from the state `c` (0xFFFFFFFF to start) and returns the CRC. */
static uint32_t crc_soft(const uint8_t *p, size_t n, uint32_t c) {
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

static uint32_t crc_bytewise(const uint8_t *p, size_t n, uint32_t c) {
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xFF];
    return c ^ 0xFFFFFFFFU;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_HW 1
__attribute__((target("sse4.2"))) static uint32_t crc_hw(const uint8_t *p, size_t n,
                                                          uint32_t start) {
    uint64_t c = start;
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

/* The CRC32C of p[0..n) continued from the CRC `prev` of the bytes before (0: none). */
static uint32_t crc32c_from(const uint8_t *p, size_t n, uint32_t prev) {
    uint32_t c = prev ^ 0xFFFFFFFFU;
#ifdef HAVE_HW
    if (use_hw) return crc_hw(p, n, c);
#endif
    return little ? crc_soft(p, n, c) : crc_bytewise(p, n, c);
}

static uint32_t crc32c(const uint8_t *p, size_t n) { return crc32c_from(p, n, 0); }

#ifdef HAVE_HW
__attribute__((target("sse4.2"))) static uint32_t crc8_hw(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return (uint32_t)__builtin_ia32_crc32di(0xFFFFFFFFU, w) ^ 0xFFFFFFFFU;
}
#endif

/* The CRC32C of the 8 bytes of a record's length (once per record: one instruction). */
static uint32_t crc8(const uint8_t *p) {
#ifdef HAVE_HW
    if (use_hw) return crc8_hw(p);
#endif
    return crc32c(p, 8);
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
    if (length > MAX_RECORD || masked(crc8(b + off)) != le32(b + off + 8)) return 2;
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

/* A hash of a tag's bytes for the table of tags: its length and its first and last 8
 * bytes, mixed (a byte-at-a-time hash costs a multiply per byte on every record). Tags
 * that share those collide and are told apart by their bytes. */
static uint64_t hash(const uint8_t *p, Py_ssize_t n) {
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else {
        for (Py_ssize_t i = 0; i < n; i++) a = (a << 8) | p[i];
    }
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)n) * 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
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
    PyObject *objs[10];
    int verify;
    if (!PyArg_ParseTuple(args, "y*nnOOOOOOOOOOp", &buf, &off, &n_rec, &objs[0], &objs[1],
                          &objs[2], &objs[3], &objs[4], &objs[5], &objs[6], &objs[7],
                          &objs[8], &objs[9], &verify))
        return NULL;
    static const Py_ssize_t sizes[10] = {8, 8, 8, 8, 8, 8, 4, 1, 8, 8};
    Out outs[10];
    memset(outs, 0, sizeof(outs));
    PyObject *result = NULL;
    int good = n_rec >= 0;
    if (!good) PyErr_SetString(PyExc_ValueError, "a negative count");
    for (int i = 0; i < 10 && good; i++)
        good = writable(objs[i], &outs[i], i < 8 ? n_rec : MAX_TAGS, sizes[i]);
    if (good && (off < 0 || off > buf.len)) {
        PyErr_SetString(PyExc_ValueError, "offset outside the buffer");
        good = 0;
    }
    if (!good) goto done;
    {
        int64_t *starts = outs[0].buf.buf, *lengths = outs[1].buf.buf;
        int64_t *index = outs[2].buf.buf, *steps = outs[3].buf.buf;
        double *values = outs[4].buf.buf, *walls = outs[5].buf.buf;
        int32_t *codes = outs[6].buf.buf;
        int8_t *codes8 = outs[7].buf.buf;
        int64_t *tag_offs = outs[8].buf.buf, *tag_lens = outs[9].buf.buf;
        const uint8_t *b = buf.buf;
        Py_ssize_t n = buf.len, ntags = 0, done_rec = 0, front = 0, back = n_rec, bad = 0;
        int32_t *slots = PyMem_Malloc(sizeof(int32_t) * SLOTS);
        if (!slots) {
            PyErr_NoMemory();
            goto done;
        }
        for (int i = 0; i < SLOTS; i++) slots[i] = -1;
        Py_BEGIN_ALLOW_THREADS
        for (; done_rec < n_rec; done_rec++) {
            /* count() checked each header's checksum; the bounds are checked again, so a
             * buffer changed since (a bytearray) can never be read past its end */
            if (off + HEADER > n) break;
            uint64_t len = le64(b + off);
            if (len > MAX_RECORD || (uint64_t)(n - off) < HEADER + len + FOOTER) break;
            Py_ssize_t s = off + HEADER, L = (Py_ssize_t)len;
            starts[done_rec] = s;
            lengths[done_rec] = L;
            off = s + L + FOOTER;
            if (verify && masked(crc32c(b + s, (size_t)L)) != le32(b + s + L)) {
                index[--back] = ~(int64_t)done_rec;
                bad++;
                continue;
            }
            Py_ssize_t at, tl;
            if (!scalar(b + s, L, &steps[front], &values[front], &walls[front], &at, &tl)) {
                index[--back] = done_rec;
                continue;
            }
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
                if (ntags == MAX_TAGS) { /* too many tags: protobuf reads the rest */
                    index[--back] = done_rec;
                    continue;
                }
                code = (int32_t)ntags++;
                slots[h] = code;
                tag_offs[code] = s + at;
                tag_lens[code] = tl;
            }
            codes[front] = code;
            codes8[front] = (int8_t)code;
            index[front++] = done_rec;
        }
        Py_END_ALLOW_THREADS
        PyMem_Free(slots);
        if (done_rec < n_rec) {
            PyErr_SetString(PyExc_ValueError, "the buffer changed between count and decode");
            goto done;
        }
        result = Py_BuildValue("nnn", ntags, front, bad);
    }
done:
    for (int i = 0; i < 10; i++)
        if (outs[i].ok) PyBuffer_Release(&outs[i].buf);
    PyBuffer_Release(&buf);
    return result;
}

/* Keeps the GIL: a cache file's ~200 KB take ~20 us, less than handing the GIL over. */
static PyObject *crc(PyObject *self, PyObject *args) {
    Py_buffer buf;
    unsigned long value = 0;
    if (!PyArg_ParseTuple(args, "y*|k", &buf, &value)) return NULL;
    uint32_t c = crc32c_from(buf.buf, (size_t)buf.len, (uint32_t)value);
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(c);
}

/* ------------------------------------------------------------------ cache files */

#ifdef HAVE_WRITER
/* Write all of iov to fd (writev may write less than asked). 0 on success. */
static int write_all(int fd, struct iovec *iov, int cnt) {
    while (cnt > 0) {
        ssize_t w = writev(fd, iov, cnt > 1024 ? 1024 : cnt);
        if (w < 0) return -1;
        while (cnt > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0 && w > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> (8 * k));
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)(v >> (8 * k));
}
#endif

/* write_columns(dir_fd, tmp, name, magic, schema, meta, steps, values, walls, codes, width)
 *     -> True (written), False (not: the caller's cache stays usable)
 * One cache file of curvedoc.ingest.cache.columnar, byte for byte what its Python encoder
 * writes: the fixed header, `meta` (the JSON, unpadded), the steps (int8 differences,
 * int32 or int64), the values (float32 when widening gives back every bit), the wall
 * times (int32 differences of consecutive bits, or float64), the tag codes of `width` bytes, the
 * paddings and the CRC32C; into a new file `tmp` (O_EXCL|O_NOFOLLOW,
 * 0600) in the folder `dir_fd`, then renamed over `name` (removed when anything failed).
 * Everything after taking the buffers runs without the GIL: a cold open's reading
 * threads go on while its cache is written. Little-endian machines only (else an error,
 * and the Python encoder writes). */
static PyObject *write_columns(PyObject *self, PyObject *args) {
#ifndef HAVE_WRITER
    PyErr_SetString(PyExc_NotImplementedError, "no cache writer on this platform");
    return NULL;
#else
    int dir_fd, width;
    unsigned int schema;
    const char *tmp, *name;
    Py_buffer magic, meta, bufs[4];
    if (!little) {
        PyErr_SetString(PyExc_NotImplementedError, "a big-endian machine");
        return NULL;
    }
    memset(bufs, 0, sizeof(bufs));
    if (!PyArg_ParseTuple(args, "issy*Iy*y*y*y*y*i", &dir_fd, &tmp, &name, &magic, &schema,
                          &meta, &bufs[0], &bufs[1], &bufs[2], &bufs[3], &width))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = bufs[0].len / 8;
    if (magic.len != 8 || (width != 1 && width != 2 && width != 4) || bufs[0].len != 8 * n ||
        bufs[1].len != 8 * n || bufs[2].len != 8 * n || bufs[3].len != width * n) {
        PyErr_SetString(PyExc_ValueError, "columns of different lengths or widths");
        goto done;
    }
    {
        const int64_t *steps = bufs[0].buf;
        const double *values = bufs[1].buf;
        int ok = 0;
        Py_BEGIN_ALLOW_THREADS
        int32_t *steps32 = NULL;
        float *values32 = NULL;
        uint32_t *xors = NULL; /* the wall times' differences (int32) */
        int8_t *diffs = NULL;
        const double *walls = bufs[2].buf;
        uint64_t narrow = 0;
        if (n > 0) { /* as columnar._narrow_steps / _narrow_values / _narrow_walls */
            int small = 1;
            for (Py_ssize_t i = 1; i < n && small; i++) {
                int64_t d = (int64_t)((uint64_t)steps[i] - (uint64_t)steps[i - 1]);
                small = d >= -128 && d <= 127;
            }
            if (small && (diffs = malloc((size_t)n)) != NULL) {
                for (Py_ssize_t i = 1; i < n; i++)
                    diffs[i - 1] = (int8_t)((uint64_t)steps[i] - (uint64_t)steps[i - 1]);
                narrow |= 4;
            }
            int fits = !(narrow & 4);
            for (Py_ssize_t i = 0; i < n && fits; i++)
                fits = steps[i] >= INT32_MIN && steps[i] <= INT32_MAX;
            if (fits && (steps32 = malloc(4 * (size_t)n)) != NULL) {
                for (Py_ssize_t i = 0; i < n; i++) steps32[i] = (int32_t)steps[i];
                narrow |= 1;
            }
            int exact = 1;
            values32 = malloc(4 * (size_t)n);
            for (Py_ssize_t i = 0; i < n && exact && values32; i++) {
                float f = (float)values[i];
                double back = (double)f;
                exact = !memcmp(&back, &values[i], 8);
                values32[i] = f;
            }
            if (exact && values32) narrow |= 2;
            int close_in_time = 1;
            uint64_t prev;
            memcpy(&prev, &walls[0], 8);
            xors = malloc(4 * (size_t)n);
            for (Py_ssize_t i = 1; i < n && close_in_time && xors; i++) {
                uint64_t bits;
                memcpy(&bits, &walls[i], 8);
                int64_t d = (int64_t)(bits - prev); /* wrapping, as the cumulative sum */
                close_in_time = d >= INT32_MIN && d <= INT32_MAX;
                xors[i - 1] = (uint32_t)(int32_t)d;
                prev = bits;
            }
            if (close_in_time && xors) narrow |= 8;
        }
        size_t step_bytes = narrow & 4 ? 7 + (size_t)n : (narrow & 1 ? 4 : 8) * (size_t)n;
        size_t value_bytes = (narrow & 2 ? 4 : 8) * (size_t)n;
        size_t wall_bytes = narrow & 8 ? 4 + 4 * (size_t)n : 8 * (size_t)n;
        size_t code_bytes = (size_t)width * (size_t)n;
        static const uint8_t zeros[8] = {0};
        static const uint8_t spaces[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
        uint8_t fixed[40], crc_bytes[4];
        memcpy(fixed, magic.buf, 8);
        put_u32(fixed + 8, schema);
        put_u32(fixed + 12, (uint32_t)width);
        put_u64(fixed + 16, (uint64_t)n);
        put_u64(fixed + 24, (uint64_t)meta.len);
        put_u64(fixed + 32, narrow);
        struct iovec iov[11];
        int k = 0;
        iov[k++] = (struct iovec){fixed, 40};
        iov[k++] = (struct iovec){meta.buf, (size_t)meta.len};
        iov[k++] = (struct iovec){(void *)spaces, (size_t)((8 - meta.len % 8) % 8)};
        if (narrow & 4) {
            iov[k++] = (struct iovec){(void *)steps, 8};
            iov[k++] = (struct iovec){diffs, (size_t)n - 1};
        } else {
            iov[k++] = (struct iovec){narrow & 1 ? (void *)steps32 : bufs[0].buf, step_bytes};
        }
        iov[k++] = (struct iovec){narrow & 2 ? (void *)values32 : bufs[1].buf, value_bytes};
        iov[k++] = (struct iovec){(void *)zeros, (8 - (step_bytes + value_bytes) % 8) % 8};
        if (narrow & 8) {
            iov[k++] = (struct iovec){(void *)walls, 8};
            iov[k++] = (struct iovec){xors, 4 * ((size_t)n - 1)};
        } else {
            iov[k++] = (struct iovec){bufs[2].buf, wall_bytes};
        }
        iov[k++] = (struct iovec){bufs[3].buf, code_bytes};
        iov[k++] = (struct iovec){(void *)zeros, (8 - (wall_bytes + code_bytes) % 8) % 8};
        uint32_t crc = 0;
        for (int j = 0; j < k; j++) crc = crc32c_from(iov[j].iov_base, iov[j].iov_len, crc);
        put_u32(crc_bytes, crc);
        struct iovec all[12];
        int cnt = 0;
        for (int j = 0; j < k; j++)
            if (iov[j].iov_len) all[cnt++] = iov[j];
        all[cnt++] = (struct iovec){crc_bytes, 4};
        int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            int bad = write_all(fd, all, cnt);
            bad |= close(fd);
            if (!bad && renameat(dir_fd, tmp, dir_fd, name) == 0)
                ok = 1;
            else
                unlinkat(dir_fd, tmp, 0);
        }
        free(steps32);
        free(values32);
        free(xors);
        free(diffs);
        Py_END_ALLOW_THREADS
        result = PyBool_FromLong(ok);
    }
done:
    PyBuffer_Release(&magic);
    PyBuffer_Release(&meta);
    for (int k = 0; k < 4; k++) PyBuffer_Release(&bufs[k]);
    return result;
#endif
}


static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS, "count(buf, offset) -> (records, end, why)"},
    {"decode", decode, METH_VARARGS,
     "decode(buf, offset, count, ...outputs, verify) -> (tags, scalars, bad checksums)"},
    {"crc32c", crc, METH_VARARGS,
     "crc32c(buf, value=0) -> the (unmasked) CRC32C of buf, continued from value"},
    {"write_columns", write_columns, METH_VARARGS,
     "write_columns(dir_fd, tmp, name, magic, schema, meta, steps, values, walls, codes, "
     "width) -> whether the cache file was written"},
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
