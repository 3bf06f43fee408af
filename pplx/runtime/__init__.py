"""How pplx runs programs: compilation (``filter_jit``, XLA options, the persistent
compilation cache), the progress bar and timers. Imports no other pplx layer.
"""
