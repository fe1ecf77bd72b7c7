// Package rundir reads run directories — the resolved config, metrics.jsonl and a sweep's
// attempts — for everything that looks back at training: sweeps, curves and comparisons.
package rundir
