"""The crypto recipe's former home: it lives in :mod:`sync.crypto` now (so the agency server
can sign with it too). This name stays an alias of that very module (patching one patches the
other) for the modules and tests that still import it from here."""

import sys
from typing import TYPE_CHECKING

from sync import crypto as _recipe

if TYPE_CHECKING:
    from sync.crypto import *  # noqa: F403
    from sync.crypto import (  # noqa: F401
        KEY_LEN,
        MAX_KDF_MEMORY_KIB,
        NONCE_LEN,
        PUBLIC_KEY_LEN,
        SALT_LEN,
        TEST_KDF,
        _encrypt_with,
        _wrap_with,
        wrapped_params,
    )

sys.modules[__name__] = _recipe
