"""The latent-noise generator shared with the Java pipeline (``io.inkflow.inference.diffusion.LatentNoise``).

An image's initial noise depends only on its seed: SplitMix64 seeded with the mixed seed, uniform
doubles in (0, 1] from the top 53 bits, and Box-Muller pairs (cos first, then sin), rounded to
float32, filled in C, H, W order. Both sides use this exact recipe so that noise, and therefore
images, can be reproduced outside the JVM (training scripts, evaluation).
"""

import math

import numpy as np

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15


def _mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class SplitMix64:
    def __init__(self, seed):
        self.state = _mix(seed & _MASK)

    def next_long(self):
        self.state = (self.state + _GAMMA) & _MASK
        return _mix(self.state)

    def next_uniform(self):
        """A double in (0, 1]."""
        return ((self.next_long() >> 11) + 1) * (1.0 / (1 << 53))


def gaussian_noise(seed, count):
    """``count`` standard normal float32 values for ``seed``."""
    rng = SplitMix64(seed)
    out = np.empty(count, dtype=np.float32)
    i = 0
    while i < count:
        u1 = rng.next_uniform()
        u2 = rng.next_uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        theta = 2.0 * math.pi * u2
        out[i] = r * math.cos(theta)
        if i + 1 < count:
            out[i + 1] = r * math.sin(theta)
        i += 2
    return out


def latent_noise(seed, channels, height, width):
    return gaussian_noise(seed, channels * height * width).reshape(channels, height, width)
