"""The training run: ``train(config_path, data_dir, out_dir, ...)``, one epoch at a time.

Each epoch draws N x M crops per batch (PK sampling), steps the optimiser once per
batch (its forward and backward in chunks of ``micro_batch`` crops when the config sets
it, :mod:`.micro_batch`) and the schedule once per epoch, and then writes ``epoch_<n>.pt`` and
``last.pt`` in the experiment directory (see :mod:`.checkpoints`). ``resume``
continues from ``last.pt`` exactly as if the run had not stopped: the sampler's
draw depends only on (seed, epoch) and every generator state is restored.

Progress goes to a tqdm bar (loss, accuracy when the loss classifies, lr) and one
line per epoch to the log and to ``train.log`` in the experiment directory, with
the fraction of step time spent waiting for the data loader. With a ``validation``
section, each epoch is validated, the best one is also saved as ``best.pt`` and the
run stops early after ``patience`` epochs without improvement (:mod:`.validation`).
"""

import contextlib
import logging
import os
import shutil
import time

import torch

from metricvox.errors import InputError, TrainingFailure
from metricvox.io.atomic import make_output_dir, write_failure
from metricvox.nnet.losses import build_loss
from metricvox.nnet.models import build_model
from metricvox.nnet.training.checkpoints import (Checkpoint, load_checkpoint, load_model_weights,
                                                 restore_rng_states, rng_states, save_checkpoint)
from metricvox.nnet.training.config import SCHEMA, load_config
from metricvox.nnet.training.data import (build_batches, build_dataset, check_batch_fits,
                                          describe_batches)
from metricvox.device import resolve_device
from metricvox.nnet.training.distributed import ProcessGroup, ShareOfBatches
from metricvox.nnet.training.loader import TrainingLoader
from metricvox.nnet.training.micro_batch import micro_batch_step, model_output, needs_chunks
from metricvox.nnet.training.schedules import build_optimiser, build_schedule
from metricvox.nnet.training.validation import Validator, best_so_far
from metricvox.progress import progress, set_quiet

log = logging.getLogger(__name__)


def named_options(section):
    """(name, options) of a config section like ``{name: ..., <options>}``."""
    options = dict(section)
    return options.pop("name"), options


@contextlib.contextmanager
def log_file(path):
    """Copy the metricvox log records (INFO and up) to ``path`` while the block runs."""
    logger = logging.getLogger("metricvox")
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    handler.setLevel(logging.INFO)
    level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()


def _check_same_run(config, checkpoint, path):
    """A resumed run must use the config it started with (more epochs are allowed)."""
    before = {k: v for k, v in checkpoint.config.items() if k != "epochs"}
    now = {k: v for k, v in config.items() if k != "epochs"}
    # A key added to the schema since the checkpoint was written had its default then.
    changed = sorted(k for k in set(before) | set(now)
                     if before.get(k, SCHEMA.get(k)) != now.get(k))
    if changed:
        raise InputError(f"cannot resume: config section(s) {', '.join(changed)} differ from "
                         f"the run's checkpoint", path)


def _to_device(features, device):
    if isinstance(features, (list, tuple)):
        return [f.to(device, non_blocking=True) for f in features]
    return features.to(device, non_blocking=True)


class TrainingStep(torch.nn.Module):
    """Model and loss as one module, so that DDP synchronises the loss's parameters too."""

    def __init__(self, model, loss):
        super().__init__()
        self.model = model
        self.loss = loss

    def forward(self, features, labels):
        return self.loss(model_output(self.model, features), labels)


def check_sampler_fits(config, model):
    """Pairs need the double-branch model, and it needs pairs; triplets need listed triplets."""
    sampler, loss = config["sampler"]["name"], config["loss"]
    scores_pairs = hasattr(model, "head_logits")
    if sampler == "pairs" and not (scores_pairs and loss["name"] == "bce"):
        raise InputError("sampler 'pairs' trains a double-branch network: model siamese_pair "
                         f"with loss bce, not model {config['model']['name']} with loss {loss['name']}")
    if sampler != "pairs" and (scores_pairs or loss["name"] == "bce"):
        raise InputError(f"model {config['model']['name']} with loss {loss['name']} trains on "
                         "mined pairs: set sampler.name to pairs")
    if sampler == "triplets" and not (loss["name"] == "triplet" and loss.get("mining") == "listed"):
        raise InputError("sampler 'triplets' gives anchor, client, impostor crops in turn: use "
                         "loss triplet with mining: listed")


class Run:
    """The objects of one training run, built from a config and a data dir."""

    def __init__(self, config, data_dir, device, seed, group, config_path=None):
        self.config = config
        self.device = device
        self.group = group
        self.seed = seed
        torch.manual_seed(seed)
        self.dataset, self.features, self.crop_frames = build_dataset(config, data_dir, seed)
        check_batch_fits(config, self.dataset, config_path)
        self.model_name, self.model_config = named_options(config["model"])
        self.model = build_model(self.model_name, **self.model_config).to(device)
        check_sampler_fits(config, self.model)
        loss_name, loss_config = named_options(config["loss"])
        self.loss = build_loss(loss_name, embedding_dim=self.model.embedding_dim,
                               num_classes=len(self.dataset.classes), **loss_config).to(device)
        parameters = list(self.model.parameters()) + list(self.loss.parameters())
        self.optimiser = build_optimiser(parameters, config)
        self.schedule = build_schedule(self.optimiser, config)
        self.sampler, collate = build_batches(config, self.dataset, seed)
        if len(self.sampler) == 0:
            raise InputError(f"the data give no full batch of {describe_batches(config)}", data_dir)
        self.loader = TrainingLoader(
            self.dataset, collate, batch_sampler=ShareOfBatches(self.sampler, group),
            num_workers=config["workers"], pin_memory=device.type == "cuda")
        # Mixed precision on CUDA only; on CPU both are pass-throughs.
        self.amp = device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.epoch = 0
        self.history = []
        self.step = None  # built by start(), after any restore

    def start(self):
        """Wrap model and loss for training (DDP under torchrun) once their weights are final."""
        self.step = self.group.wrap(TrainingStep(self.model, self.loss), self.device)

    def state(self):
        return Checkpoint(
            model_name=self.model_name, model_config=self.model_config,
            model_state=self.model.state_dict(),
            loss_config=self.config["loss"], loss_state=self.loss.state_dict(),
            optimiser_state=self.optimiser.state_dict(),
            schedule_state=self.schedule.state_dict(),
            scaler_state=self.scaler.state_dict(),
            epoch=self.epoch, rng=rng_states(), config=self.config, seed=self.seed,
            features=self.features, crop_frames=self.crop_frames,
            classes=list(self.dataset.classes), history=self.history)

    def restore(self, checkpoint, path):
        if checkpoint.classes != list(self.dataset.classes):
            new = sorted(set(self.dataset.classes) - set(checkpoint.classes))
            gone = sorted(set(checkpoint.classes) - set(self.dataset.classes))
            example = f"'{new[0]}' is new" if new else f"'{gone[0]}' is missing"
            raise InputError(f"cannot resume: the data has {len(self.dataset.classes)} classes, "
                             f"the checkpoint's classifier {len(checkpoint.classes)} ({example}); "
                             "train into a new --out", path)
        self.model.load_state_dict(checkpoint.model_state)
        self.loss.load_state_dict(checkpoint.loss_state)
        self.optimiser.load_state_dict(checkpoint.optimiser_state)
        self.schedule.load_state_dict(checkpoint.schedule_state)
        self.scaler.load_state_dict(checkpoint.scaler_state)
        self.epoch = checkpoint.epoch
        self.history = list(checkpoint.history)
        restore_rng_states(checkpoint.rng)

    def autocast(self):
        return torch.autocast(self.device.type, enabled=self.amp)

    def forward_backward(self, features, labels):
        """The batch's loss output, its gradients accumulated (in chunks with micro_batch)."""
        crops = self.config["micro_batch"]
        if needs_chunks(features, crops):
            return micro_batch_step(self.model, self.loss, features, labels, crops,
                                    self.scaler.scale, self.autocast)
        with self.autocast():
            output = self.step(features, labels)
        self.scaler.scale(output.loss).backward()
        return output

    def train_epoch(self):
        """One pass over the sampler's batches; returns the epoch's figures and its speed."""
        self.model.train()
        self.loss.train()
        self.sampler.set_epoch(self.epoch)
        lr = self.optimiser.param_groups[0]["lr"]
        total_loss = total_hits = examples = classified = 0.0
        waited = 0.0
        started = step_end = time.perf_counter()
        bar = progress(self.loader, desc=f"epoch {self.epoch + 1}", unit="batch")
        for step, (features, labels) in enumerate(bar, 1):
            waited += time.perf_counter() - step_end
            features = _to_device(features, self.device)
            labels = labels.to(self.device, non_blocking=True)
            self.optimiser.zero_grad(set_to_none=True)
            output = self.forward_backward(features, labels)
            if not torch.isfinite(output.loss):
                raise TrainingFailure(f"training failed: the loss is {output.loss.item()} at "
                                      f"epoch {self.epoch + 1} step {step}; lower the learning "
                                      f"rate or check the features")
            self.scaler.step(self.optimiser)
            self.scaler.update()
            batch = labels.shape[0]
            total_loss += output.loss.item() * batch
            examples += batch
            shown = {"loss": f"{total_loss / examples:.4f}", "lr": f"{lr:.3g}"}
            accuracy = output.accuracy
            if accuracy is not None:
                total_hits += accuracy.item() * batch
                classified += batch
                shown["acc"] = f"{total_hits / classified:.3f}"
            bar.set_postfix(shown, refresh=False)
            step_end = time.perf_counter()
            if step == self.config["batches_per_epoch"]:
                break
        elapsed = step_end - started
        total_loss, examples, total_hits, classified = self.group.sum(
            [total_loss, examples, total_hits, classified])
        figures = {"epoch": self.epoch + 1, "batches": step, "loss": total_loss / examples,
                   "accuracy": total_hits / classified if classified else None, "lr": lr}
        # Kept apart from the figures, which the checkpoints' history holds: timings differ
        # from run to run, and two runs with one seed must write the same bytes.
        speed = {"segments_per_second": examples / elapsed, "data_wait": waited / elapsed}
        return figures, speed


def _describe_examples(dataset):
    """What one epoch goes through: labelled utterances, or mined pairs/triplets."""
    if dataset.classes:
        return f"{len(dataset)} examples of {len(dataset.classes)} classes"
    return f"{len(dataset)} {dataset.kind} (no class labels: the mined lists label them)"


def _epoch_line(figures, speed, epochs, validation):
    parts = [f"epoch {figures['epoch']}/{epochs}", f"loss {figures['loss']:.4f}"]
    if figures["accuracy"] is not None:
        parts.append(f"accuracy {figures['accuracy']:.3f}")
    if validation:
        parts.append(f"validation {validation['metric']} {figures['validation']:.4f}")
    parts += [f"lr {figures['lr']:.4g}", f"{speed['segments_per_second']:.1f} segments/s",
              f"data wait {100 * speed['data_wait']:.1f}% of step time"]
    return ", ".join(parts)


def train(config_path, data_dir, out_dir, resume=False, init=None, device=None, seed=0):
    """Train as the YAML config at ``config_path`` says; returns the last epoch's figures
    (with its speed, segments_per_second and data_wait, when this call trained it).

    Under torchrun every process calls this; see :mod:`.distributed`.
    """
    config = load_config(config_path)
    group = ProcessGroup()
    if config["micro_batch"] and group.active:
        raise InputError("config 'micro_batch' works in one process only, not under torchrun: "
                         "leave it out or train without torchrun", config_path)
    device = group.device(resolve_device(device))
    last = os.path.join(out_dir, "last.pt")
    checkpoint = None
    if resume and init:
        raise InputError("--init starts a new run; it cannot be combined with --resume")
    if resume:
        checkpoint = load_checkpoint(last)
        _check_same_run(config, checkpoint, config_path)
        seed = checkpoint.seed
    elif os.path.exists(last):
        raise InputError("the experiment dir already holds a run; give --resume to continue it "
                         "or choose another --out", out_dir)
    # Read before the experiment dir is made: a bad --init file leaves nothing behind.
    init_checkpoint = load_checkpoint(init) if init else None
    with group.running(device):
        created = make_output_dir(out_dir) if group.is_main else None
        try:
            if group.is_main:
                shutil.copyfile(config_path, os.path.join(out_dir, "config.yaml"))
                logging_to = log_file(os.path.join(out_dir, "train.log"))
            else:
                # The other processes of a torchrun job show no progress and log warnings only.
                set_quiet(True)
                logging.getLogger("metricvox").setLevel(logging.WARNING)
                logging_to = contextlib.nullcontext()
            with logging_to:
                return _train(config, config_path, data_dir, out_dir, checkpoint, init,
                              init_checkpoint, device, seed, group)
        except BaseException as error:
            # A run that fails before its first checkpoint leaves no experiment dir behind
            # (a later failure keeps the checkpoints, for --resume).
            if created and not os.path.exists(last):
                shutil.rmtree(created, ignore_errors=True)
            failure = write_failure(error, out_dir)
            if failure is not None:
                raise failure from None
            raise


def _train(config, config_path, data_dir, out_dir, checkpoint, init, init_checkpoint, device,
           seed, group):
    run = Run(config, data_dir, device, seed, group, config_path)
    if checkpoint is not None:
        run.restore(checkpoint, os.path.join(out_dir, "last.pt"))
        log.info("resuming %s after epoch %d", out_dir, run.epoch)
    elif init:
        load_model_weights(run.model, run.model_name, run.model_config, init_checkpoint, init)
        log.info("model weights initialised from %s", init)
    run.start()
    if group.is_main:
        log.info("%s, %d batches of %s (global, over %d process%s) per "
                 "epoch, crops of %d frames, device %s", _describe_examples(run.dataset),
                 len(run.sampler), describe_batches(config),
                 group.world_size, "es" if group.world_size > 1 else "", run.crop_frames, device)
    validation = config["validation"]
    validator = Validator(validation, config) if validation and group.is_main else None
    figures = run.history[-1] if run.history else None
    stop = bool(validation and run.history and best_so_far(
        run.history, validation["metric"], validation["patience"])[2])  # stopped early before
    while run.epoch < config["epochs"] and not stop:
        figures, speed = run.train_epoch()
        run.schedule.step()
        run.epoch += 1
        if group.is_main:
            stop = _end_of_epoch(run, figures, speed, validator, out_dir)
        figures = {**figures, **speed}
        stop = group.from_main(stop)
    if config["epochs"] == 0 and group.is_main and not run.history:
        # No training asked for: the initialised model itself, e.g. a random-init baseline.
        save_checkpoint(run.state(), os.path.join(out_dir, "last.pt"))
        log.info("epochs: 0: saved the initialised model, untrained, as last.pt")
    return figures


def _end_of_epoch(run, figures, speed, validator, out_dir):
    """Rank 0: validate, save the checkpoints, log; returns whether to stop early."""
    validation = run.config["validation"]
    if validator:
        figures["validation"] = validator(run)
    run.history.append(figures)
    state = run.state()
    save_checkpoint(state, os.path.join(out_dir, f"epoch_{run.epoch}.pt"))
    save_checkpoint(state, os.path.join(out_dir, "last.pt"))
    log.info("%s", _epoch_line(figures, speed, run.config["epochs"], validation))
    if not validator:
        return False
    best_epoch, best_value, stop = best_so_far(run.history, validator.metric, validator.patience)
    if best_epoch == run.epoch:
        save_checkpoint(state, os.path.join(out_dir, "best.pt"))
    if stop:
        log.info("early stop after epoch %d: no better %s than %.4f (epoch %d) for %d epochs",
                 run.epoch, validator.metric, best_value, best_epoch, validator.patience)
    return stop
