package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync/atomic"

	"github.com/roachdog/roachdog/checks"
	"github.com/roachdog/roachdog/config"
	"github.com/roachdog/roachdog/exporter"
)

// generation is the running configuration: its instances, their runner
// and what closes their connections.
type generation struct {
	cfg       *config.Config
	instances []exporter.Instance
	runner    *exporter.Runner
	close     func()
}

// reloader runs the current generation and, on SIGHUP, replaces it with
// one built from the configuration file read again. The DogStatsD client,
// the self-metrics and their HTTP server outlive every generation.
type reloader struct {
	path   string
	sink   checks.Sink
	self   *exporter.SelfMetrics
	logger *slog.Logger
	// current is what /readyz asks; swapped with the generation.
	current *atomic.Pointer[exporter.Runner]
	gen     *generation
}

// run runs the current generation until ctx is done, reloading on every
// value from hup. A reload that fails (unreadable or invalid file, a
// setting that needs a restart) is logged with the reason and counted,
// and the running configuration goes on untouched.
func (rl *reloader) run(ctx context.Context, hup <-chan os.Signal) error {
	for {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		r := rl.gen.runner
		go func() { done <- r.Run(runCtx) }()
		for swapped := false; !swapped; {
			select {
			case err := <-done:
				cancel()
				return err // ctx is done: shutting down
			case <-hup:
				next, err := rl.prepare(ctx)
				if err != nil {
					rl.self.ConfigReloaded(false)
					rl.logger.Error("configuration not reloaded; the previous one keeps running", "file", rl.path, "err", err)
					continue
				}
				// The old generation stops (its cycles in flight are
				// cancelled, as on shutdown) before the new one starts:
				// the checks it keeps never run twice at once.
				cancel()
				<-done
				rl.swap(next)
				rl.self.ConfigReloaded(true)
				rl.logger.Info("configuration reloaded", "file", rl.path, "clusters", len(next.instances))
				swapped = true
			}
		}
	}
}

// prepare reads and validates the file again and builds its instances;
// nothing of the running generation is touched.
func (rl *reloader) prepare(ctx context.Context) (*generation, error) {
	cfg, err := config.Load(rl.path)
	if err != nil {
		return nil, err // file:line: key: what is wrong
	}
	if err := restartOnly(rl.gen.cfg, cfg); err != nil {
		return nil, err
	}
	instances, closeAll, err := buildInstances(ctx, cfg, rl.sink, rl.logger)
	if err != nil {
		return nil, err
	}
	keepChecks(rl.gen, cfg, instances)
	return &generation{cfg: cfg, instances: instances, close: closeAll}, nil
}

// swap makes next the current generation once the old one has stopped.
func (rl *reloader) swap(next *generation) {
	old := *rl.gen
	next.runner = old.runner.Successor(next.instances, rl.logger)
	*rl.gen = *next // in place: the caller closes whatever runs last
	rl.current.Store(next.runner)
	// The old pools and discovery go; a check the old runner abandoned
	// (ignoring its context) may still hold a connection, which then
	// fails and lets it return.
	old.close()
}

// restartOnly refuses a reload that changes what is built once per
// process: the DogStatsD client (address, namespace, global tags), the
// self-metrics listener and the logger.
func restartOnly(old, cfg *config.Config) error {
	for _, f := range []struct {
		key      string
		was, now any
	}{
		{"init_config.dogstatsd_url", old.Init.DogStatsDAddr, cfg.Init.DogStatsDAddr},
		{"init_config.namespace", old.Init.Namespace, cfg.Init.Namespace},
		{"init_config.tags", old.Init.Tags, cfg.Init.Tags},
		{"init_config.listen_address", old.Init.ListenAddress, cfg.Init.ListenAddress},
		{"init_config.pprof", old.Init.Pprof, cfg.Init.Pprof},
		{"init_config.log_format", old.Init.LogFormat, cfg.Init.LogFormat},
		{"init_config.log_level", old.Init.LogLevel, cfg.Init.LogLevel},
	} {
		if !reflect.DeepEqual(f.was, f.now) {
			return fmt.Errorf("%s: %s changed (%v → %v): it takes effect only when roachdog restarts", cfg.File, f.key, f.was, f.now)
		}
	}
	return nil
}

// keepChecks puts the running generation's checks in place of the new
// ones built from the same settings for the same cluster, so that a reload
// keeps their state: counter baselines (no missing deltas), liveness
// states (no missed or repeated transitions), the failed jobs already
// announced. The connections (HTTP client, SQL pool, discovery) are always
// new: a rotated certificate or password is read again.
func keepChecks(old *generation, cfg *config.Config, instances []exporter.Instance) {
	type key struct{ cluster, check string }
	running := map[key]checks.Check{}
	oldSettings := map[key]any{}
	for i, in := range old.instances {
		for _, j := range in.Jobs {
			b, ok := j.Check.(*checks.Bound)
			if !ok {
				continue
			}
			k := key{in.Cluster, b.Name()}
			running[k] = b.Check
			oldSettings[k] = checkSettings(old.cfg.Instances[i], b.Name())
		}
	}
	for i := range instances {
		in := &instances[i]
		for n := range in.Jobs {
			b, ok := in.Jobs[n].Check.(*checks.Bound)
			if !ok {
				continue
			}
			k := key{in.Cluster, b.Name()}
			prev, ok := running[k]
			if !ok {
				continue
			}
			s := checkSettings(cfg.Instances[i], k.check)
			if s != nil && reflect.DeepEqual(s, oldSettings[k]) {
				// The kept check, bound to the new connections.
				in.Jobs[n].Check = b.Instance().Bind(prev)
			}
		}
	}
}
