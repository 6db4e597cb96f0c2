from django.http import HttpRequest, HttpResponse


def study_list(request: HttpRequest) -> HttpResponse:  # placeholder, replaced by the web page work
    return HttpResponse("carbonfoot")


def study_detail(request: HttpRequest, study_id: int) -> HttpResponse:
    return HttpResponse(str(study_id))
