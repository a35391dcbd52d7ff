"""geo_distance(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) RETURNS DOUBLE,
in Python: the great-circle distance in kilometres between two points given in
degrees (haversine, mean Earth radius 6371 km, as ksqlDB's GEO_DISTANCE)."""

import math

import wasp

EARTH_RADIUS_KM = 6371.0


@wasp.udf
def geo_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two (latitude, longitude) points in degrees."""
    d_lat = math.radians(lat2 - lat1)
    d_lon = math.radians(lon2 - lon1)
    a = math.sin(d_lat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


Scalar = wasp.Scalar
