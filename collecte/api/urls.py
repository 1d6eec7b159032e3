from ninja import NinjaAPI

api = NinjaAPI(title="collecte API", version="1", urls_namespace="api")
