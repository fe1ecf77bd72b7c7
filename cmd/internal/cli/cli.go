// Package cli holds what gorgonet's commands share: running a cobra command so that users
// see one line per error and never a panic trace, and completion helpers.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gorgonet/gorgonet/checkpoint"
	"github.com/gorgonet/gorgonet/config"
	"github.com/gorgonet/gorgonet/configs"
)

// ExitInterrupted is the exit status after Ctrl-C or SIGTERM, as shells report for SIGINT.
const ExitInterrupted = 130

// Interrupted marks an error as the result of a signal.
type Interrupted struct{ Err error }

func (e Interrupted) Error() string { return e.Err.Error() }

// Main runs cmd with args and returns the process exit status. Errors print as
// "NAME: message" on stderr; a panic prints one line too (GORGONET_TRACE=1 shows the trace).
func Main(cmd *cobra.Command, args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmd, args, stderr)
}

// Run is Main with the context that the command's work watches: when ctx is done, work that
// stops with an error wrapping context.Canceled exits with ExitInterrupted.
func Run(ctx context.Context, cmd *cobra.Command, args []string, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v (please report it; GORGONET_TRACE=1 shows where)\n", cmd.Name(), r)
			if os.Getenv("GORGONET_TRACE") != "" {
				stderr.Write(debug.Stack())
			}
			code = 2
		}
	}()
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Work that saw the signal through its context stops with context.Canceled.
		fmt.Fprintf(stderr, "%s: %s\n", cmd.Name(), interruptedLine(err))
		return ExitInterrupted
	}
	fmt.Fprintf(stderr, "%s: %s\n", cmd.Name(), oneLine(err))
	if errors.As(err, new(Interrupted)) {
		return ExitInterrupted
	}
	return 1
}

// interruptedLine says what a signal stopped, without context's own words for it.
func interruptedLine(err error) string {
	msg, _ := strings.CutSuffix(oneLine(err), context.Canceled.Error())
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ":")
	if msg == "" {
		return "interrupted by a signal"
	}
	return msg + " (interrupted by a signal)"
}

// oneLine puts an error that lists several problems (one per line) on one line.
func oneLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "; ")
}

// CompleteConfigs completes --config with the embedded config names and YAML files.
func CompleteConfigs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return configs.Names(), cobra.ShellCompDirectiveDefault
}

// CompleteSet completes --set with the config keys followed by "=".
func CompleteSet(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var keys []string
	for _, k := range config.Keys() {
		keys = append(keys, k+"=")
	}
	return keys, cobra.ShellCompDirectiveNoSpace
}

// CompleteCheckpoints completes --checkpoint with SafeTensors files and run directories.
func CompleteCheckpoints(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"safetensors"}, cobra.ShellCompDirectiveFilterFileExt
}

// ResolveCheckpoint turns --checkpoint into a file: a run directory means its best checkpoint.
func ResolveCheckpoint(arg string) (string, error) {
	if arg == "" {
		return "", errors.New("--checkpoint is required: a .safetensors file or a run directory")
	}
	return checkpoint.Resolve(arg)
}

// ConfigNames lists the embedded configs for help texts.
func ConfigNames() []string { return configs.Names() }

// ProgressModes are the values of the --progress flag of train and sweep.
var ProgressModes = []string{"auto", "bar", "lines"}

// CheckProgress refuses a --progress value other than auto, bar or lines.
func CheckProgress(mode string) error {
	if !slices.Contains(ProgressModes, mode) {
		return fmt.Errorf("--progress %q: want auto, bar or lines", mode)
	}
	return nil
}
