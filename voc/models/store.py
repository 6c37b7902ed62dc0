"""Saving and loading the linear models: plain JSON + ``.npz`` arrays a user can inspect, never pickle.

A saved :class:`~voc.models.estimator.LinearTextModel` is a directory holding two files:

- ``model.json``: format name and version, parameters, classes, thresholds, card (metadata) and the
  vocabulary as a list in column order;
- ``arrays.npz``: ``idf`` (n_features,), ``coef`` (n_classes, n_features) and ``intercept`` (n_classes,),
  float32, written with :func:`numpy.savez_compressed` and read with ``allow_pickle=False``.

:class:`~voc.models.experts.DomainExperts` add ``experts.json`` + ``experts.npz`` next to their base
model; a ``voc train`` folder (:func:`load_model_dir`) holds a manifest, ``voc-model.json``, and a
``themes/`` and/or ``sentiment/`` model. Every file is written through :func:`voc.output.atomic_write_bytes`
(temporary file, fsync, rename). Every fault found on load is a one-line :class:`~voc.errors.ConfigError`
naming the file and the cause; a folder holding a ``*.pkl`` / ``*.pickle`` file is refused outright.

Example:
    >>> m = load_default_sentiment_model()
    >>> m is None or m.predict(["送餐超快，味道很好"]) == ["positive"]
    True
"""
from __future__ import annotations

import io
import json
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ConfigError, InputError
from voc.models.estimator import LinearTextModel
from voc.models.experts import DomainExperts

__all__ = ["ARRAYS", "EXPERTS_ARRAYS", "EXPERTS_JSON", "FORMAT", "FORMAT_VERSION", "MANIFEST", "MODEL_JSON",
           "load_default_sentiment_model", "load_experts", "load_linear", "load_model_dir", "make_folder",
           "save_experts", "save_linear", "write_manifest"]

FORMAT = "voc-linear-text-model"  #: the ``format`` field of model.json
FORMAT_VERSION = 1  #: the ``format_version`` this voc writes and reads
MODEL_JSON = "model.json"
ARRAYS = "arrays.npz"
EXPERTS_FORMAT = "voc-domain-experts"  #: the ``format`` field of experts.json
EXPERTS_FORMAT_VERSION = 1
EXPERTS_JSON = "experts.json"
EXPERTS_ARRAYS = "experts.npz"
MANIFEST = "voc-model.json"  #: the manifest of a ``voc train`` folder
MANIFEST_FORMAT = "voc-model"
MANIFEST_VERSION = 1
PICKLE_SUFFIXES = (".pkl", ".pickle")


# -- writing -------------------------------------------------------------------------------------------
def make_folder(directory: str | os.PathLike[str], *, param: str = "directory") -> Path:
    """``directory`` as a Path, created (with its parents) if needed.

    Args:
        directory: the model folder to write.
        param: the caller's parameter name, for the error message (``out_dir`` for :func:`train`).

    Raises:
        ConfigError: ``directory`` is an existing file, or it cannot be created or written to.

    Example:
        >>> # make_folder("my-model", param="out_dir")  -> PosixPath('my-model')
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{param}={str(out)!r} is an existing file, but a model is saved as a folder of "
                          "files; pass a folder path (new or existing) instead")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the model folder {param}={str(out)!r}: {exc.strerror or exc}; "
                          "pass a folder path you can write to") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError(f"the model folder {param}={str(out)!r} is not writable; pass a folder you can "
                          "write to or change its permissions")
    return out


def _write(target: Path, data: bytes) -> None:
    """``data`` to ``target`` atomically; an OS failure (permissions, full disk) as a ConfigError."""
    from voc.output import atomic_write_bytes  # here, not at import: voc.output imports pandas

    try:
        atomic_write_bytes(target, data)
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}; pass a folder you can write to"
                          ) from exc


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub: a name may be allow_pickle
    return buf.getvalue()


def save_linear(model: LinearTextModel, directory: str | os.PathLike[str], *,
                card: dict[str, Any] | None = None) -> Path:
    """:meth:`LinearTextModel.save`: ``model.json`` and ``arrays.npz`` into ``directory``."""
    model._check_fitted()
    merged = {**model.card_, **(card or {})}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "params": _json_ready(model.get_params()),
        "classes": model.classes_,
        "thresholds": None if model.thresholds_ is None else [float(t) for t in model.thresholds_],
        "n_features": len(model._vocab),
        "card": merged,
        "vocabulary": list(model._vocab),
    }
    try:
        text = json.dumps(meta, ensure_ascii=False, indent=1, default=_json_default)
    except TypeError as exc:
        raise InputError(f"card cannot be saved as JSON: {exc}; pass plain str/number/list/dict values"
                         ) from exc
    out = make_folder(directory)
    _write(out / ARRAYS, _npz_bytes(idf=model.idf_, coef=model.coef_, intercept=model.intercept_))
    _write(out / MODEL_JSON, text.encode("utf-8"))
    model.card_ = merged
    return out


def save_experts(model: DomainExperts, directory: str | os.PathLike[str], *,
                 card: dict[str, Any] | None = None, with_base: bool = True) -> Path:
    """:meth:`DomainExperts.save`: the base model (unless ``with_base=False``), experts.json + .npz."""
    out = save_linear(model.base, directory, card=card) if with_base else make_folder(directory)
    n_cls, n_exp = len(model.base.classes_), len(model.domains)
    meta = {"format": EXPERTS_FORMAT, "format_version": EXPERTS_FORMAT_VERSION, "domains": model.domains,
            "weights": [float(x) for x in model.weights], "n_features": len(model.base.idf_),
            "card": model.expert_card_}
    _write(out / EXPERTS_ARRAYS, _npz_bytes(gate_coef=model._coef[n_cls:n_cls + n_exp],
                                            gate_intercept=model._intercept[n_cls:n_cls + n_exp],
                                            coef=model._coef[n_cls + n_exp:],
                                            intercept=model._intercept[n_cls + n_exp:]))
    _write(out / EXPERTS_JSON, json.dumps(meta, ensure_ascii=False, indent=1,
                                          default=_json_default).encode("utf-8"))
    return out


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest (``voc-model.json``) of a ``voc train`` folder; returns its path."""
    path = out / MANIFEST
    _write(path, json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8"))
    return path


# -- reading -------------------------------------------------------------------------------------------
def _root(directory: str | os.PathLike[str] | Traversable) -> Traversable:
    return directory if isinstance(directory, Traversable) else Path(directory)


def _refuse_pickles(root: Traversable) -> None:
    """A model folder that holds a pickle is refused: voc never loads pickles (unpickling runs code)."""
    try:
        names = sorted(entry.name for entry in root.iterdir())
    except OSError as exc:
        raise ConfigError(f"model directory {root} cannot be listed: {exc}") from exc
    pickles = [n for n in names if n.lower().endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise ConfigError(f"{root / pickles[0]}: this model folder holds a pickle, and voc never loads "
                          "pickles (unpickling can run any code); delete it and save the model again with "
                          "LinearTextModel.save() or train()")


def load_linear(directory: str | os.PathLike[str] | Traversable,
                cls: type[LinearTextModel] = LinearTextModel) -> LinearTextModel:
    """:meth:`LinearTextModel.load`: read and validate a folder written by :func:`save_linear`."""
    root = _root(directory)
    if not root.is_dir():
        raise ConfigError(f"model directory {root} not found; expected a folder with {MODEL_JSON} and "
                          f"{ARRAYS} written by LinearTextModel.save()")
    _refuse_pickles(root)
    meta_path, arr_path = root / MODEL_JSON, root / ARRAYS
    meta = _read_meta(meta_path)
    params = meta.get("params")
    if not isinstance(params, dict):
        raise ConfigError(f"{meta_path}: 'params' must be an object of model settings; got {params!r}")
    params = {**params, "kind": meta.get("kind")}
    if isinstance(params.get("ngram_range"), list):
        params["ngram_range"] = tuple(params["ngram_range"])
    try:
        model = cls(**params)
        model._check_params()
    except (TypeError, ConfigError) as exc:
        raise ConfigError(f"{meta_path}: invalid 'params' ({exc}); was it written by another voc version?"
                          ) from exc
    classes = _str_list(meta.get("classes"), "classes", meta_path)
    vocab = _str_list(meta.get("vocabulary"), "vocabulary", meta_path, unique=False)  # checked below
    if not classes:
        raise ConfigError(f"{meta_path}: 'classes' is empty; a model needs at least one class")
    thresholds = meta.get("thresholds")
    if model.kind == "multilabel":
        ok = (isinstance(thresholds, list) and len(thresholds) == len(classes)
              and all(isinstance(t, (int, float)) and 0 <= t <= 1 for t in thresholds))
        if not ok:
            raise ConfigError(f"{meta_path}: 'thresholds' must list one probability per class "
                              f"({len(classes)}); got {thresholds!r}")
    else:
        thresholds = None
    arrays = _read_arrays(arr_path)
    n_cls, n_feat = len(classes), len(vocab)
    for name, shape in (("idf", (n_feat,)), ("coef", (n_cls, n_feat)), ("intercept", (n_cls,))):
        if arrays[name].shape != shape:
            raise ConfigError(f"{arr_path}: '{name}' has shape {arrays[name].shape} but {meta_path} implies "
                              f"{shape} ({n_cls} classes, {n_feat} vocabulary entries); the two files do "
                              "not belong together: save or copy the model directory again")
    model._set_state(classes, vocab, arrays["idf"], arrays["coef"], arrays["intercept"],
                     None if thresholds is None else np.asarray(thresholds, dtype=np.float64),
                     card=card if isinstance(card := meta.get("card"), dict) else {})
    fast = model._fast
    # each n-gram once: equal strings give equal n-gram numbers, so the sorted numbers tell cheaply
    if (fast is not None and bool(np.any(fast.sorted_keys[1:] == fast.sorted_keys[:-1]))) or (
            fast is None and len(set(vocab)) != len(vocab)):
        _duplicate(vocab, "vocabulary", meta_path)
    return model


def load_experts(directory: str | os.PathLike[str] | Traversable,
                 cls: type[DomainExperts] = DomainExperts) -> DomainExperts:
    """:meth:`DomainExperts.load`: the base model and its experts, written by :func:`save_experts`."""
    root = _root(directory)
    base = load_linear(root)
    path = root / EXPERTS_JSON
    meta = _read_json(path, f"{path} is missing; domain experts are saved as {EXPERTS_JSON} and "
                            f"{EXPERTS_ARRAYS}")
    if meta.get("format") != EXPERTS_FORMAT:
        raise ConfigError(f"{path}: not a voc domain-experts file (expected format {EXPERTS_FORMAT!r})")
    if meta.get("format_version") != EXPERTS_FORMAT_VERSION:
        raise ConfigError(f"{path}: format_version {meta.get('format_version')!r} cannot be read by this voc "
                          f"(reads {EXPERTS_FORMAT_VERSION})")
    domains = _str_list(meta.get("domains"), "domains", path)
    weights = meta.get("weights")
    if not isinstance(weights, list) or not all(isinstance(x, (int, float)) for x in weights):
        raise ConfigError(f"{path}: 'weights' must be a list of numbers; got {weights!r}")
    arrays = _read_arrays(root / EXPERTS_ARRAYS, ("gate_coef", "gate_intercept", "coef", "intercept"),
                          f"{EXPERTS_JSON} and {EXPERTS_ARRAYS}")
    card = meta.get("card") if isinstance(meta.get("card"), dict) else {}
    return cls(base, domains, weights, arrays["gate_coef"], arrays["gate_intercept"], arrays["coef"],
               arrays["intercept"], card=card)


def load_model_dir(path: str | os.PathLike[str]) -> tuple[LinearTextModel | None, LinearTextModel | None]:
    """Load a ``voc train`` directory: (theme model or None, sentiment model or None).

    Raises:
        ConfigError: the directory is missing or a file, holds a pickle, its manifest is missing, damaged,
            not a JSON object or written by an incompatible voc, or a model it lists is missing or damaged.

    Example:
        >>> # themes, sentiment = load_model_dir("my-model")   (written by voc.train(df, "my-model"))
    """
    p = Path(path)
    if p.is_file():
        raise ConfigError(f"path={str(p)!r} is a file, but a trained model is a folder holding {MANIFEST}; "
                          "pass the folder that train(df, out_dir=...) wrote")
    if not p.is_dir():
        raise ConfigError(f"model directory {p} not found; train one with train(df, out_dir={str(p)!r})")
    _refuse_pickles(p)
    manifest = p / MANIFEST
    meta = _read_json(manifest, f"{p} is not a voc model directory: {MANIFEST} is missing (write one with "
                                f"train(df, out_dir={str(p)!r}))")
    if meta.get("format") != MANIFEST_FORMAT or meta.get("version") != MANIFEST_VERSION:
        raise ConfigError(f"{manifest}: format {meta.get('format')!r} version {meta.get('version')!r} is not "
                          f"supported by this voc (expected {MANIFEST_FORMAT} version {MANIFEST_VERSION}); "
                          "retrain the model with this voc's train()")
    listed = {"themes": bool(meta.get("themes")), "sentiment": meta.get("sentiment_model") is True}
    models: dict[str, LinearTextModel | None] = {}
    for name, expected in listed.items():
        if (p / name).is_dir():
            models[name] = load_linear(p / name)
        elif expected:
            raise ConfigError(f"{p / name} is missing, but {manifest} lists a {name} model; copy the whole "
                              "model folder again or retrain it")
        else:
            models[name] = None
    if models["themes"] is None and models["sentiment"] is None:
        raise ConfigError(f"model directory {p} holds neither a themes/ nor a sentiment/ model")
    return models["themes"], models["sentiment"]


def load_default_sentiment_model() -> LinearTextModel | DomainExperts | None:
    """The shipped overall-sentiment model (classes negative / neutral / positive), or None if absent.

    A :class:`DomainExperts` (the base model plus its food-delivery expert) when the shipped directory
    holds ``experts.json``, else the plain :class:`LinearTextModel`. Loads from the package data
    ``voc.lexicons/models/sentiment`` on every call: callers cache it.

    Raises:
        ConfigError: the shipped files exist but are damaged.

    Example:
        >>> m = load_default_sentiment_model()
        >>> m is None or m.predict(["送餐超快，味道很好"]) == ["positive"]
        True
    """
    root = resources.files("voc.lexicons") / "models" / "sentiment"
    if not (root / MODEL_JSON).is_file():
        return None
    if (root / EXPERTS_JSON).is_file():
        return load_experts(root)
    return load_linear(root)


# -- validation helpers --------------------------------------------------------------------------------
def _read_json(path: Traversable, missing: str) -> dict[str, Any]:
    """A JSON object from ``path``; a missing (message ``missing``), unreadable, malformed or non-object
    file as a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(missing) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as UTF-8 text: {exc}") from exc
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}; "
                          "restore the file or save the model again") from exc
    if not isinstance(meta, dict):
        raise ConfigError(f"{path} must hold a JSON object; got {type(meta).__name__}: restore the file or "
                          "save the model again")
    return meta


def _read_meta(path: Traversable) -> dict[str, Any]:
    meta = _read_json(path, f"{path} is missing; a saved model directory holds {MODEL_JSON} and {ARRAYS}")
    if meta.get("format") != FORMAT:
        raise ConfigError(f"{path}: format {meta.get('format')!r} is not a voc linear text model "
                          f"(expected format {FORMAT!r})")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ConfigError(f"{path}: format_version {version!r} cannot be read by this voc, which reads "
                          f"version {FORMAT_VERSION}; upgrade voc or retrain the model with this one")
    return meta


def _read_arrays(path: Traversable, names: tuple[str, ...] = ("idf", "coef", "intercept"),
                 pair: str = f"{MODEL_JSON} and {ARRAYS}") -> dict[str, np.ndarray]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path} is missing; a saved model directory holds {pair}") from exc
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            for name in names:
                if name not in npz.files:
                    found = ", ".join(npz.files) or "none"
                    raise ConfigError(f"{path} has no array '{name}' (found: {found}); save the model again")
                out[name] = npz[name]
    except ConfigError:
        raise
    except Exception as exc:  # BadZipFile, pickled object arrays (ValueError), truncated data (OSError, ...)
        raise ConfigError(f"{path} cannot be read as a .npz archive of plain numeric arrays (pickled objects "
                          f"are refused): {exc}") from exc
    for name, arr in out.items():
        if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
            raise ConfigError(f"{path}: '{name}' must hold finite floating-point numbers; "
                              f"got dtype {arr.dtype}")
    return out


def _str_list(value: Any, field: str, path: Traversable, *, unique: bool = True) -> list[str]:
    """``value`` checked to be a list of strings (each once, unless the caller checks that itself)."""
    if not isinstance(value, list) or (value and set(map(type, value)) != {str}):  # one pass in C
        raise ConfigError(f"{path}: '{field}' must be a list of strings")
    if unique and len(set(value)) != len(value):
        _duplicate(value, field, path)
    return list(value)


def _duplicate(value: list[str], field: str, path: Traversable) -> None:
    seen: set[str] = set()
    for v in value:
        if v in seen:
            raise ConfigError(f"{path}: '{field}' lists {v!r} more than once")
        seen.add(v)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json_ready(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
