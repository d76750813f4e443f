"""Spleeter 2-stem vocal separation (vocals / accompaniment), as the singer paper's front end.

``unet`` the network, ``weights`` where its weights come from, ``stft`` Spleeter's
transform done chunk by chunk, ``separator`` the torch backend, ``spleeter_command``
the official command as a backend, ``wav_table`` a whole wav.scp to an output
directory, ``sdr`` the quality measures used to check it.
"""
