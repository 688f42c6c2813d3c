from django.contrib.auth.hashers import Argon2PasswordHasher


class OWASPArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum (19 MiB, t=2, p=1): ~10x cheaper per login than Django's.

    Hashes made with Django's heavier parameters still verify and are rewritten at next sign-in.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
