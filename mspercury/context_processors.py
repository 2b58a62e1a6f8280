def workspace(request):
    return {
        "membership": getattr(request, "membership", None),
        "workspace": getattr(request, "workspace", None),
    }
