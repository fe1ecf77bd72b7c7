package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
)

// Profiles are the --cpuprofile and --memprofile flags: pprof profiles of a command's run,
// read with `go tool pprof`.
type Profiles struct {
	CPU, Mem string
}

// AddFlags adds the two flags to f.
func (p *Profiles) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&p.CPU, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof FILE)")
	f.StringVar(&p.Mem, "memprofile", "", "write a heap profile to this file when the run ends: what is live then, and -sample_index=alloc_space for everything allocated")
}

// Start begins the CPU profile, if asked for; the returned stop ends it and writes the heap
// profile. A file that cannot be created is an error naming its flag.
func (p *Profiles) Start() (stop func() error, err error) {
	var cpu *os.File
	if p.CPU != "" {
		if cpu, err = os.Create(p.CPU); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
		}
		if p.Mem == "" {
			return nil
		}
		f, err := os.Create(p.Mem)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC() // the live heap, as of now
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("--memprofile: %w", err)
		}
		return f.Close()
	}, nil
}
