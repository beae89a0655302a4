// Conformance harness for fusemax_top, written from docs/interface.md alone: it drives the
// ports the page lists and logs what it sees, one event a line, cycle 0 being the first cycle
// after rst falls.
// Usage: Vfusemax_top IN LOG IN_STALL_PERMILLE OUT_STALL_PERMILLE SEED MAX_CYCLES JOBS
// IN: one input word a line, "hex last". LOG events:
//   reset N TREADY      tready in reset cycle N (rst high)
//   a C I               input word I accepted in cycle C
//   r C V               s_axis_tready became V in cycle C
//   o C HEX LAST        output word taken in cycle C
//   s C V               status port became V
//   b C V               busy became V
//   p C CYC B2 B1 SI SO perf ports, in the cycle of each output tlast
//   end C               stopped (JOBS tlasts seen and all input taken, plus 50 cycles)
#include "Vfusemax_top.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

static uint64_t rs;
static uint32_t draw() { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (uint32_t)(rs >> 32) % 1000; }

int main(int argc, char** argv) {
    if (argc < 8) { fprintf(stderr, "usage: IN LOG IN_STALL OUT_STALL SEED MAX_CYCLES JOBS\n"); return 2; }
    FILE* in = fopen(argv[1], "r");
    FILE* log = fopen(argv[2], "w");
    if (!in || !log) { fprintf(stderr, "cannot open files\n"); return 2; }
    uint32_t in_stall = atoi(argv[3]), out_stall = atoi(argv[4]);
    rs = strtoull(argv[5], 0, 10) * 2654435761ull + 12345;
    uint64_t max_cycles = strtoull(argv[6], 0, 10);
    int jobs = atoi(argv[7]);
    std::vector<uint64_t> w; std::vector<int> l;
    unsigned long long x; int y;
    while (fscanf(in, "%llx %d", &x, &y) == 2) { w.push_back(x); l.push_back(y); }
    Vfusemax_top* t = new Vfusemax_top;
    t->clock = 0; t->rst = 1; t->s_axis_tvalid = 0; t->m_axis_tready = 0;
    for (int i = 0; i < 3; i++) {
        t->eval();
        fprintf(log, "reset %d %d\n", i, (int)t->s_axis_tready);
        t->clock = 1; t->eval(); t->clock = 0; t->eval();
    }
    t->rst = 0;
    size_t next = 0; bool pres = false; int tl = 0; long after = -1;
    int last_r = -1, last_s = -1, last_b = -1;
    for (uint64_t c = 0; c < max_cycles; c++) {
        if (!pres && next < w.size() && draw() >= in_stall) pres = true;
        bool ready = draw() >= out_stall;
        t->s_axis_tvalid = pres;
        t->s_axis_tdata = next < w.size() ? w[next] : 0;
        t->s_axis_tlast = next < w.size() ? l[next] : 0;
        t->m_axis_tready = ready;
        t->eval();
        if ((int)t->s_axis_tready != last_r) { last_r = t->s_axis_tready; fprintf(log, "r %llu %d\n", (unsigned long long)c, last_r); }
        if ((int)t->status != last_s) { last_s = t->status; fprintf(log, "s %llu %d\n", (unsigned long long)c, last_s); }
        if ((int)t->busy != last_b) { last_b = t->busy; fprintf(log, "b %llu %d\n", (unsigned long long)c, last_b); }
        if (pres && t->s_axis_tready) { fprintf(log, "a %llu %zu\n", (unsigned long long)c, next); next++; pres = false; }
        if (ready && t->m_axis_tvalid) {
            fprintf(log, "o %llu %llx %d\n", (unsigned long long)c, (unsigned long long)t->m_axis_tdata, (int)t->m_axis_tlast);
            if (t->m_axis_tlast) {
                tl++;
                fprintf(log, "p %llu %llu %llu %llu %llu %llu\n", (unsigned long long)c,
                        (unsigned long long)t->perf_cycles, (unsigned long long)t->perf_busy_2d,
                        (unsigned long long)t->perf_busy_1d, (unsigned long long)t->perf_stall_in,
                        (unsigned long long)t->perf_stall_out);
            }
        }
        t->clock = 1; t->eval(); t->clock = 0; t->eval();
        if (after < 0 && tl >= jobs && next >= w.size()) after = 50;
        if (after >= 0 && after-- == 0) { fprintf(log, "end %llu\n", (unsigned long long)c); break; }
    }
    fclose(log);
    t->final();
    delete t;
    return 0;
}
