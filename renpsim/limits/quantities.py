"""Registry of the quantities the limits database knows, with units and axes.

The quantity ids are a contract with the sensitivity engine (docs/limits.md): a sensitivity file
names
one of these ids and the database is queried with the same id. The x axis (if any) is the
mediator or heavy-state mass in eV; quantities without an x axis are compared as single numbers.
Definitions follow [physics §3.3], [physics §4.1] to [physics §4.3] and [physics §7].
"""

from __future__ import annotations

from dataclasses import dataclass

from renpsim.errors import InputError


@dataclass(frozen=True)
class Quantity:
    """One bounded quantity.

    Attributes
    ----------
    id : str
        Registry id (used in data files, sensitivity files and the CLI).
    unit : str
        Unit of the bounded value ("1" for dimensionless).
    label : str
        Axis label for plots (matplotlib mathtext).
    x_name : str or None
        Column name of the x axis in curve and sensitivity files (``"m_eV"``), or None when the
        quantity is a single number (magnetic moment, sum of masses ...).
    x_label : str or None
        Axis label for the x axis.
    signed : bool
        True if negative values are meaningful (charge radius); otherwise values must be > 0.
    description : str
        What the quantity is and where it is defined.

    """

    id: str
    unit: str
    label: str
    x_name: str | None
    x_label: str | None
    signed: bool
    description: str


_Q = [
    Quantity("vector_ge_gnu", "1", r"$|g^e g^\nu|$", "m_eV", r"$m_{Z'}$ [eV]", False,
             "product of the electron axial and neutrino couplings of a light vector Z' "
             "([physics §4.1], [physics §7.1]; GP21 eqs. 18-22)"),
    Quantity("scalar_ye_ynu", "1", r"$|y^e y^\nu|$", "m_eV", r"$m_\phi$ [eV]", False,
             "product of the electron (pseudoscalar) and neutrino Yukawa couplings of a light "
             "scalar/pseudoscalar phi ([physics §4.2], [physics §7.2]; GP21 eqs. 23-29)"),
    Quantity("scalar_ye", "1", r"$|y^e|$", "m_eV", r"$m_\phi$ [eV]", False,
             "electron Yukawa coupling of a light (pseudo)scalar; g_ae for a pseudoscalar "
             "([physics §7.2])"),
    Quantity("scalar_ynu", "1", r"$|y^\nu|$", "m_eV", r"$m_\phi$ [eV]", False,
             "neutrino Yukawa coupling of a light (pseudo)scalar ([physics §7.2])"),
    Quantity("mu_nu_eff", "mu_B", r"$\mu_\nu^{\rm eff}$ [$\mu_B$]", None, None, False,
             "effective neutrino magnetic moment as defined by each experiment type "
             "(solar/accelerator per flavour, reactor nubar_e, stellar combination; "
             "[physics §4.3], [physics §7.3])"),
    Quantity("transition_dipole_d", "mu_B", r"$d$ [$\mu_B$]", "m_eV", r"$m_4$ [eV]", False,
             "active-sterile transition dipole d ([physics §4.4], [physics §7.4]; STW)"),
    Quantity("rayleigh_C2", "GeV^-3", r"$\hat C_2 = C_2^{(7)}/\Lambda^3$ [GeV$^{-3}$]", None,
             None, False,
             "CP-odd neutrino Rayleigh (polarizability) coefficient, flavour universal "
             "([physics §7.5]; Bansal eqs. 2.1, 2.15-2.18)"),
    Quantity("rayleigh_C1", "GeV^-3", r"$C_1^{(7)}/\Lambda^3$ [GeV$^{-3}$]", None, None, False,
             "CP-even neutrino Rayleigh coefficient ([physics §7.5]; Bansal)"),
    Quantity("pseudoscalar_c_nu", "1", r"$c_\nu$", "m_eV", r"$m_\phi$ [eV]", False,
             "flavour-universal pseudoscalar-neutrino coupling c_nu ([physics §7.5]; Bansal "
             "eq. 2.17)"),
    Quantity("g_phigamma", "GeV^-1", r"$g_{\phi\gamma}$ [GeV$^{-1}$]", "m_eV",
             r"$m_\phi$ [eV]", False,
             "pseudoscalar-photon coupling g_phigamma = (alpha/2pi) c'_gamma/f_phi "
             "([physics §7.5]; Bansal eq. 2.18)"),
    Quantity("c_nu_g_phigamma", "GeV^-1", r"$c_\nu\, g_{\phi\gamma}$ [GeV$^{-1}$]", "m_eV",
             r"$m_\phi$ [eV]", False,
             "product c_nu * g_phigamma ([physics §7.5]; Bansal Tables 2-3)"),
    Quantity("millicharge_q_nu", "e", r"$|q_\nu|$ [$e$]", None, None, False,
             "effective neutrino millicharge ([physics §7.6])"),
    Quantity("charge_radius_r2", "cm^2", r"$\langle r^2\rangle_{\nu_e}$ [cm$^2$]", None, None,
             True, "electron-neutrino charge radius squared ([physics §7.6])"),
    Quantity("sum_mnu", "eV", r"$\Sigma m_\nu$ [eV]", None, None, False,
             "sum of neutrino masses from cosmology ([physics §3.3])"),
    Quantity("m_lightest", "eV", r"$m_{\rm lightest}$ [eV]", None, None, False,
             "lightest neutrino mass ([physics §3.3])"),
    Quantity("m_beta", "eV", r"$m_\beta$ [eV]", None, None, False,
             "effective electron-neutrino mass in beta decay ([physics §3.3])"),
]

QUANTITIES: dict[str, Quantity] = {q.id: q for q in _Q}


def get_quantity(quantity_id: str, where: str = "argument") -> Quantity:
    """Return the registry entry of a quantity.

    Parameters
    ----------
    quantity_id : str
        Registry id, e.g. ``"vector_ge_gnu"``.
    where : str
        Where the id came from (for the error message).

    Raises
    ------
    InputError
        If the id is not in the registry.

    """
    try:
        return QUANTITIES[quantity_id]
    except KeyError:
        raise InputError(where, "quantity", quantity_id,
                         "one of " + ", ".join(sorted(QUANTITIES))) from None
