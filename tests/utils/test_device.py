"""Device resolution and GPU-to-CPU loading of torch state (utils/_device.py)."""

from __future__ import annotations

import io
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skgraphemb import DeviceUnavailableError  # noqa: E402
from skgraphemb.utils._device import (  # noqa: E402
    DeviceMappingWarning,
    TorchStateMixin,
    load_torch_state,
    map_location,
    resolve_device,
    resolve_engines,
    save_torch_state,
)

pytestmark = pytest.mark.torch


def test_auto_is_cpu_without_cuda(no_cuda):
    assert resolve_device("auto", "X") == torch.device("cpu")
    assert resolve_device("cpu", "X") == torch.device("cpu")
    assert resolve_device(" CPU ", "X") == torch.device("cpu")


def test_auto_is_cuda_with_cuda(fake_cuda):
    assert resolve_device("auto", "X") == torch.device("cuda")
    assert resolve_device("cuda:0", "X") == torch.device("cuda:0")


def test_explicit_cuda_without_cuda_says_what_to_do(no_cuda):
    with pytest.raises(DeviceUnavailableError, match=r"X was asked for device='cuda'.*device='cpu'"):
        resolve_device("cuda", "X")
    assert issubclass(DeviceUnavailableError, RuntimeError)


def test_cuda_index_past_the_last_device(fake_cuda):
    with pytest.raises(DeviceUnavailableError, match=r"has 2 CUDA device\(s\) \(cuda:0 \.\. cuda:1\)"):
        resolve_device("cuda:3", "X")


@pytest.mark.parametrize("device", ["gpu0", "", "meta", "cuda:x"])
def test_not_a_supported_device(device, no_cuda):
    with pytest.raises(ValueError, match=r"X: device=.*'auto', 'cpu', 'cuda' or 'cuda:N'"):
        resolve_device(device, "X")


def test_map_location(no_cuda):
    assert map_location("cpu", "X") == torch.device("cpu")
    with pytest.warns(DeviceMappingWarning, match="X was fitted on device 'cuda:1'.*loaded on the CPU"):
        assert map_location("cuda:1", "X") == torch.device("cpu")


def test_map_location_keeps_an_available_gpu(fake_cuda):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert map_location("cuda:0", "X") == torch.device("cuda:0")


def test_state_roundtrip_is_weights_only():
    state = {"w": torch.arange(6.0).reshape(2, 3), "meta": {"n": 2, "names": ["a", "b"]}}
    back = load_torch_state(save_torch_state(state), "cpu")
    assert torch.equal(back["w"], state["w"]) and back["meta"] == state["meta"]

    class Evil:
        def __reduce__(self):
            return (print, ("unpickled code ran",))

    buf = io.BytesIO()
    torch.save({"x": Evil()}, buf)
    with pytest.raises(pickle.UnpicklingError):
        load_torch_state(buf.getvalue(), "cpu")


class _Holder(TorchStateMixin):
    """A minimal fitted object with a torch module, as the estimators have."""

    _torch_attributes = ("module_",)

    def fit(self):
        torch.manual_seed(0)
        self.module_ = torch.nn.Linear(3, 2)
        self.device_ = "cpu"
        self.embedding_ = np.ones((2, 2), dtype=np.float32)
        return self

    def _get_torch_state(self):
        return {"module": self.module_.state_dict()}

    def _set_torch_state(self, state, device):
        self.module_ = torch.nn.Linear(3, 2).to(device)
        self.module_.load_state_dict(state["module"])
        self.set_on = str(device)

    def predict(self, x):
        with torch.no_grad():
            return self.module_(torch.as_tensor(x, dtype=torch.float32)).numpy()


def test_mixin_pickles_torch_state_as_bytes():
    h = _Holder().fit()
    state = h.__getstate__()
    assert "module_" not in state and isinstance(state["_torch_blob"], bytes)
    again = pickle.loads(pickle.dumps(h))
    x = np.eye(3)
    np.testing.assert_array_equal(again.predict(x), h.predict(x))
    assert again.device_ == "cpu" and again.set_on == "cpu"


def test_unfitted_object_pickles_without_torch_state():
    h = _Holder()
    assert "_torch_blob" not in h.__getstate__()
    assert not hasattr(pickle.loads(pickle.dumps(h)), "module_")


def test_gpu_pickle_loads_on_cpu_with_a_warning(pickle_as_if_on_cuda, no_cuda):
    h = _Holder().fit()
    blob = pickle_as_if_on_cuda(h)
    assert h.device_ == "cpu"  # the fixture leaves the estimator as it was
    with pytest.warns(DeviceMappingWarning, match="_Holder was fitted on device 'cuda:0'"):
        again = pickle.loads(blob)
    assert again.device_ == "cpu" and again.set_on == "cpu"
    np.testing.assert_array_equal(again.predict(np.eye(3)), h.predict(np.eye(3)))


def test_fixture_really_writes_cuda_tensors(pickle_as_if_on_cuda, no_cuda):
    # Read the pickled state without the mixin: torch alone refuses its tensors here.
    class Raw:
        def __setstate__(self, state):
            self.state = state

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            return Raw if name == "_Holder" else super().find_class(module, name)

    raw = Unpickler(io.BytesIO(pickle_as_if_on_cuda(_Holder().fit()))).load()
    assert raw.state["device_"] == "cuda:0"
    with pytest.raises(RuntimeError, match="CUDA device but torch.cuda.is_available"):
        torch.load(io.BytesIO(raw.state["_torch_blob"]), weights_only=True)


# -- resolve_engines: the one home of the auto/torch/error rules --------------


def test_torch_only_callers_get_an_indexed_device(fake_cuda):
    # GraphSAGE, KG and the torch trainer pass no stages: torch throughout.
    assert resolve_engines("cpu", "X") == ("cpu",)
    assert resolve_engines("auto", "X") == ("cuda:0",)
    assert resolve_engines("cuda", "X") == ("cuda:0",)
    assert resolve_engines("cuda:1", "X") == ("cuda:1",)


def test_auto_stage_follows_the_stage_before_it(fake_cuda):
    assert resolve_engines("auto", "X", backend="auto", trainer="auto") == ("torch", "torch", "cuda:0")
    assert resolve_engines("auto", "X", backend="native", trainer="auto") == ("native", "native", "cpu")
    assert resolve_engines("cpu", "X", backend="torch", trainer="auto") == ("torch", "torch", "cpu")
    assert resolve_engines("cpu", "X", backend="auto", trainer="auto") == ("native", "native", "cpu")


def test_cpu_only_stage_on_an_explicit_gpu_names_the_parameter(fake_cuda):
    with pytest.raises(ValueError, match=r"X: trainer='gensim' runs on the CPU only.*trainer='torch'.*device='cpu'"):
        resolve_engines("cuda", "X", backend="auto", trainer="gensim")


def test_every_device_parameter_resolves_the_same_default():
    from skgraphemb.utils._device import DEFAULT_DEVICE

    assert resolve_engines(DEFAULT_DEVICE, "X", backend="auto") == ("native", "cpu")
    assert resolve_engines(DEFAULT_DEVICE, "X") == ("cpu",)
